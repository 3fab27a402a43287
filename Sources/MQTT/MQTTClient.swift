import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// An MQTT 3.1.1 client: connect once, then publish and subscribe while it keeps the connection up by itself.
///
/// ```swift
/// let client = MQTTClient(configuration: try MQTTClientConfiguration(url: "mqtt://127.0.0.1", clientID: "demo"))
/// try await client.connect()
/// let states = try await client.subscribe(["stat/+/RESULT"])
/// try await client.publish(topic: "cmnd/lamp1/POWER", payload: "ON", qos: .atLeastOnce)
/// for await message in states { print(message.topic, message.payloadString) }
/// await client.disconnect()
/// ```
///
/// After a successful ``connect()`` the client **reconnects automatically** with exponential backoff and jitter,
/// re-subscribes when the broker kept no session, and re-sends unacknowledged QoS 1/2 publishes with DUP on a
/// persistent session (`cleanSession = false`). On a clean session, requests fail fast with
/// ``MQTTError/notConnected`` or ``MQTTError/closed`` while the connection is down. Call ``disconnect()`` to stop;
/// until then the client keeps itself alive.
public final class MQTTClient: Sendable {
  public let configuration: MQTTClientConfiguration
  let logger: Logger
  /// The loop every connection of this client lives on, picked from the group once, so that ``taskExecutor``
  /// stays on the socket's thread across reconnects.
  let eventLoop: any EventLoop
  let loopExecutor: EventLoopTaskExecutor
  let shared = NIOLockedValueBox(ClientState())
  let serials = Atomic<UInt64>(0)
  /// Messages dropped because a subscription's buffer was full (its consumer fell behind).
  let dropped = Atomic<Int>(0)

  struct ClientState {
    var status: MQTTConnectionState = .idle
    var connection: MQTTConnection?
    /// Bumped by every connect() and disconnect(), so a stale reconnect loop knows to stop.
    var generation = 0
    var running = false
    var supervisor: Task<Void, Never>?
    /// Whether the ack-timeout timer is scheduled (one per client, for the earliest pending deadline).
    var timeoutTimerArmed = false
    var requests = RequestTable()
    var subscriptions = SubscriptionTable()
    var listeners: [Int: AsyncStream<MQTTConnectionState>.Continuation] = [:]
    var nextListenerID = 0
    var sslContext: NIOSSLContext?

    /// Changes the status and tells every listener, under the lock so that all of them see the same order.
    mutating func setStatus(_ status: MQTTConnectionState) {
      guard status != self.status else { return }
      self.status = status
      for listener in listeners.values { listener.yield(status) }
    }
  }

  public init(
    configuration: MQTTClientConfiguration, logger: Logger = Logger(label: "mqtt"),
    eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
  ) {
    self.configuration = configuration
    var logger = logger
    logger[metadataKey: "mqtt.client"] = "\(configuration.clientID)"
    self.logger = logger
    eventLoop = eventLoopGroup.next()
    loopExecutor = EventLoopTaskExecutor(eventLoop: eventLoop)
  }

  /// A task executor that runs tasks on the client's event loop: the thread that reads and writes its socket.
  ///
  /// Use it for a task that awaits this client in a tight request/response loop: publish, then wait for the answer
  /// on a subscription, an ``MQTTInbox`` or a QoS 1/2 acknowledgement.
  ///
  /// ```swift
  /// let replies = try await client.subscribe(["stat/lamp1/RESULT"])
  /// try await withTaskExecutorPreference(client.taskExecutor) {
  ///   var iterator = replies.makeAsyncIterator()
  ///   try await client.publish(topic: "cmnd/lamp1/POWER", payload: "ON")
  ///   let reply = await iterator.next()
  /// }
  /// ```
  ///
  /// Under this preference (also `Task(executorPreference:)`; child tasks inherit it) the task's nonisolated
  /// code runs on the loop, so a message or ack that the loop reads resumes the task on the same thread, and the
  /// task's publishes are queued for the socket from that thread. Without it, each round trip pays a hand-off to
  /// and from the threads of Swift's global executor (scripts/bench-mqtt.sh, loopback: round trip p50 1.2–1.8×
  /// as long). Actor-isolated code still runs on its actor.
  ///
  /// **Never run blocking or long work under this preference** (database calls, file I/O, heavy computation):
  /// while it runs, the loop reads and writes nothing, so this client's keep-alive, acks and deliveries (and any
  /// other channel on the same loop) wait. Hand such work to another task without the preference.
  public var taskExecutor: any TaskExecutor { loopExecutor }

  deinit {
    shared.withLockedValue { $0.connection }?.abort()
  }

  /// Messages dropped since start because a subscription's consumer fell a whole buffer behind
  /// (``MQTTClientConfiguration/subscriptionBufferSize``; the oldest go first).
  public var droppedMessageCount: Int { dropped.load(ordering: .relaxed) }

  /// The current connection state.
  public var state: MQTTConnectionState {
    shared.withLockedValue { $0.status }
  }

  /// The current state first, then every change, for readiness checks and health reporting.
  /// The stream keeps the newest 64 states if the consumer falls behind.
  public func stateUpdates() -> AsyncStream<MQTTConnectionState> {
    let (stream, continuation) = AsyncStream.makeStream(
      of: MQTTConnectionState.self, bufferingPolicy: .bufferingNewest(64))
    let id = shared.withLockedValue { state in
      state.nextListenerID += 1
      state.listeners[state.nextListenerID] = continuation
      continuation.yield(state.status)
      return state.nextListenerID
    }
    continuation.onTermination = { [weak self] _ in
      _ = self?.shared.withLockedValue { $0.listeners.removeValue(forKey: id) }
    }
    return stream
  }
}
