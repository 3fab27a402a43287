import NIOConcurrencyHelpers
import NIOCore

/// Coalesces writes from many tasks into one event-loop hop, one pipeline write and one flush per batch, and bounds
/// what is queued: callers wait in ``waitForCapacity()`` while more than `highWaterMark` bytes are not yet handed
/// to the socket (give or take the channel's own writability high-water mark plus one 64 KiB batch, which a
/// writable channel takes without a completion callback).
final class MQTTOutbox: Sendable {
  private struct State {
    var pending: ByteBuffer
    /// The previous batch's buffer, emptied once the channel let go of it: the next batch goes there.
    var spare: ByteBuffer?
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
    guard
      var batch = state.withLockedValue({ state -> ByteBuffer? in
        state.drainScheduled = false
        guard state.pending.readableBytes > 0 else { return nil }
        // Hand the bytes over and go on in another buffer, so producers never write into storage the channel holds.
        var next = state.spare ?? channel.allocator.buffer(capacity: min(state.pending.capacity, 1 << 16))
        state.spare = nil
        swap(&next, &state.pending)
        return next
      })
    else { return }
    let batchBytes = batch.readableBytes
    // While the channel's own buffer is under its high-water mark (writable), a batch of at most 64 KiB needs no
    // completion: what the socket has not taken yet stays bounded by that mark plus this batch, so its bytes are
    // released at once, saving a promise, its callback and their generic metadata per drain (the common case: one
    // small packet the socket takes at once). Otherwise the write's completion releases them, so waiters never hang.
    let confirmedNow = batchBytes <= 1 << 16 && channel.isWritable
    if confirmedNow {
      channel.writeAndFlush(batch, promise: nil)
    } else {
      let promise = channel.eventLoop.makePromise(of: Void.self)
      channel.writeAndFlush(batch, promise: promise)
      promise.futureResult.whenComplete { _ in self.release(batchBytes, spare: nil) }
    }
    // drain() runs on the loop, so a write the socket took at once has already released the bytes: emptying the
    // buffer keeps its storage for the next batch (no allocation per drain). When the channel still holds it,
    // clear() gives it fresh storage, as allocating the next buffer would have.
    var spare: ByteBuffer?
    if batch.capacity <= 1 << 16 {
      batch.clear()
      spare = batch
    }
    release(confirmedNow ? batchBytes : 0, spare: spare)
  }

  /// Releases bytes the socket took (or a closed channel dropped), waking the waiters once under the high-water
  /// mark, and keeps an emptied buffer for the next batch.
  private func release(_ bytes: Int, spare: ByteBuffer?) {
    let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
      if let spare { state.spare = spare }
      state.unconfirmedBytes -= bytes
      guard !state.waiters.isEmpty, state.unconfirmedBytes <= highWaterMark else { return [] }
      defer { state.waiters.removeAll() }
      return state.waiters
    }
    for waiter in waiters { waiter.resume() }
  }
}
