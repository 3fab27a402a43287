import NIOConcurrencyHelpers
import NIOCore

/// Coalesces writes from many tasks into one event-loop hop, one pipeline write and one flush per batch, and bounds
/// what is queued: callers wait in ``waitForCapacity()`` while more than `highWaterMark` bytes are not yet handed
/// to the socket.
final class MQTTOutbox: Sendable {
  private struct State {
    var pending: ByteBuffer
    var drainScheduled = false
    /// Bytes queued here or written but not yet confirmed by the channel.
    var unconfirmedBytes = 0
    var waiters: [CheckedContinuation<Void, Never>] = []
  }

  private let channel: any Channel
  private let state: NIOLockedValueBox<State>
  private let highWaterMark: Int

  init(channel: any Channel, highWaterMark: Int = 4 << 20) {
    self.channel = channel
    self.highWaterMark = highWaterMark
    state = NIOLockedValueBox(State(pending: channel.allocator.buffer(capacity: 0)))
  }

  /// Queues an encoded packet; it is written and flushed on the channel's event loop shortly after.
  /// Returns true when the caller should ``waitForCapacity()``.
  @discardableResult
  func enqueue(_ buffer: ByteBuffer) -> Bool {
    enqueue { $0.writeImmutableBuffer(buffer) }
  }

  /// Queues a packet encoded straight into the pending bytes (no intermediate buffer).
  @discardableResult
  func enqueue(_ packet: MQTTPacket) throws(MQTTError) -> Bool {
    var failure: MQTTError?
    let mustWait = enqueue { pending in
      do throws(MQTTError) {
        try packet.encode(into: &pending)
      } catch {
        failure = error
      }
    }
    if let failure { throw failure }
    return mustWait
  }

  private func enqueue(_ write: (inout ByteBuffer) -> Void) -> Bool {
    let (mustSchedule, mustWait) = state.withLockedValue { state in
      let before = state.pending.readableBytes
      write(&state.pending)
      state.unconfirmedBytes += state.pending.readableBytes - before
      defer { state.drainScheduled = true }
      return (!state.drainScheduled, state.unconfirmedBytes > highWaterMark)
    }
    if mustSchedule {
      // From the loop itself (a task preferring MQTTClient.taskExecutor) this only queues the drain behind the
      // running job, with no wake-up; it still runs before the loop next waits for I/O, and a burst of
      // publishes from that job still leaves in one write and one flush.
      channel.eventLoop.execute { self.drain() }
    }
    return mustWait
  }

  /// Returns once the bytes not yet written to the socket are under the high-water mark.
  func waitForCapacity() async {
    guard state.withLockedValue({ $0.unconfirmedBytes > highWaterMark }) else { return }
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      let resumeNow = state.withLockedValue { state in
        if state.unconfirmedBytes > highWaterMark {
          state.waiters.append(continuation)
          return false
        }
        return true
      }
      if resumeNow { continuation.resume() }
    }
  }

  private func drain() {
    let batch = state.withLockedValue { state in
      state.drainScheduled = false
      // Hand the bytes over and start a fresh buffer, so producers never write into storage the channel holds.
      defer { state.pending = channel.allocator.buffer(capacity: min(state.pending.capacity, 1 << 16)) }
      return state.pending
    }
    guard batch.readableBytes > 0 else { return }
    let batchBytes = batch.readableBytes
    let promise = channel.eventLoop.makePromise(of: Void.self)
    channel.writeAndFlush(batch, promise: promise)
    // Completion (success or failure on a closed channel) releases the bytes, so waiters never hang.
    promise.futureResult.whenComplete { _ in
      let waiters = self.state.withLockedValue { state in
        state.unconfirmedBytes -= batchBytes
        guard state.unconfirmedBytes <= self.highWaterMark else { return [CheckedContinuation<Void, Never>]() }
        defer { state.waiters.removeAll() }
        return state.waiters
      }
      for waiter in waiters { waiter.resume() }
    }
  }
}
