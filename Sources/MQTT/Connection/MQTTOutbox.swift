import NIOCore
import Synchronization

/// Coalesces writes from many tasks into one event-loop hop and one flush per batch, and bounds what is queued:
/// callers wait in ``waitForCapacity()`` while more than `highWaterMark` bytes are not yet handed to the socket.
final class MQTTOutbox: Sendable {
  private struct State {
    var queue: [ByteBuffer] = []
    var drainScheduled = false
    var pendingBytes = 0
    var waiters: [CheckedContinuation<Void, Never>] = []
  }

  private let channel: any Channel
  private let state = Mutex(State())
  private let highWaterMark: Int

  init(channel: any Channel, highWaterMark: Int = 4 << 20) {
    self.channel = channel
    self.highWaterMark = highWaterMark
  }

  /// Queues an encoded packet; it is written and flushed on the channel's event loop shortly after.
  func enqueue(_ buffer: ByteBuffer) {
    let mustSchedule = state.withLock { state in
      state.queue.append(buffer)
      state.pendingBytes += buffer.readableBytes
      defer { state.drainScheduled = true }
      return !state.drainScheduled
    }
    if mustSchedule {
      channel.eventLoop.execute { self.drain() }
    }
  }

  /// Returns once the bytes not yet written to the socket are under the high-water mark.
  func waitForCapacity() async {
    guard state.withLock({ $0.pendingBytes > highWaterMark }) else { return }
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      let resumeNow = state.withLock { state in
        if state.pendingBytes > highWaterMark {
          state.waiters.append(continuation)
          return false
        }
        return true
      }
      if resumeNow { continuation.resume() }
    }
  }

  private func drain() {
    let batch = state.withLock { state in
      state.drainScheduled = false
      defer { state.queue.removeAll(keepingCapacity: true) }
      return state.queue
    }
    guard !batch.isEmpty else { return }
    let batchBytes = batch.reduce(0) { $0 + $1.readableBytes }
    let promise = channel.eventLoop.makePromise(of: Void.self)
    for (index, buffer) in batch.enumerated() {
      channel.write(buffer, promise: index == batch.count - 1 ? promise : nil)
    }
    channel.flush()
    // Completion (success or failure on a closed channel) releases the bytes, so waiters never hang.
    promise.futureResult.whenComplete { _ in
      let waiters = self.state.withLock { state in
        state.pendingBytes -= batchBytes
        guard state.pendingBytes <= self.highWaterMark else { return [CheckedContinuation<Void, Never>]() }
        defer { state.waiters.removeAll() }
        return state.waiters
      }
      for waiter in waiters { waiter.resume() }
    }
  }
}
