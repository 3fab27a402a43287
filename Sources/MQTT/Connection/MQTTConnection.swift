import Logging
import NIOCore

/// One live transport connection to the broker, after CONNACK. The session (subscriptions, in-flight requests)
/// lives in ``MQTTClient`` and outlives it.
final class MQTTConnection: Sendable {
  let channel: any Channel
  let outbox: MQTTOutbox
  /// Succeeds with the reason once the channel has closed, whoever closed it.
  let closed: EventLoopFuture<String>

  init(channel: any Channel, closed: EventLoopFuture<String>) {
    self.channel = channel
    self.closed = closed
    outbox = MQTTOutbox(channel: channel)
  }

  func send(_ packet: MQTTPacket) throws(MQTTError) {
    try outbox.enqueue(packet)
  }

  /// Waits for the channel to close and returns why.
  func closeReason() async -> String {
    (try? await closed.get()) ?? "connection closed"
  }

  /// Sends DISCONNECT (so the broker discards our Will) and closes the channel.
  func disconnect() async {
    _ = try? outbox.enqueue(MQTTPacket.disconnect)
    // The outbox writes in order on the event loop; the close is queued behind it there.
    let channel = self.channel
    channel.eventLoop.execute { channel.close(promise: nil) }
    _ = await closeReason()
  }

  /// Drops the connection without DISCONNECT, as a crash or network failure would (the broker sends our Will).
  func abort() {
    channel.close(promise: nil)
  }
}
