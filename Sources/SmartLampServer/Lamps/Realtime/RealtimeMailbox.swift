import Synchronization

/// One realtime subscriber's bounded queue of events. Its stream takes everything queued at once (``nextBatch()``)
/// and writes it as one piece: under load a stream does one write — one event-loop hop, one flush — for all the
/// events that arrived while it was writing, instead of one per event (issue #10: with 200 admin streams at 20
/// commands/s, one write per frame per stream saturated the server). Iterating it one event at a time works too.
/// Full: the new event is refused (``yield(_:)`` returns false) and the hub drops the subscriber, as before.
final class RealtimeMailbox: AsyncSequence, Sendable {
  typealias Element = RealtimeHub.Event

  private struct State {
    var queued: [RealtimeHub.Event] = []
    var waiter: CheckedContinuation<Void, Never>?
    var finished = false
  }

  let capacity: Int
  private let state = Mutex(State())
  /// At most this many events per write: a stream stuck in a write to a slow reader holds no more than these
  /// beyond its queue, so the hub still notices a reader that stopped reading about as soon as before.
  static let batchLimit = 64

  init(capacity: Int) {
    self.capacity = Swift.max(1, capacity)
  }

  /// Queues an event; false when the mailbox is full or finished (nothing is queued then).
  func yield(_ event: RealtimeHub.Event) -> Bool {
    let (accepted, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
      guard !state.finished, state.queued.count < capacity else { return (false, nil) }
      state.queued.append(event)
      defer { state.waiter = nil }
      return (true, state.waiter)
    }
    waiter?.resume()
    return accepted
  }

  /// No more events: the consumer gets what is queued, then the end.
  func finish() {
    let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
      state.finished = true
      defer { state.waiter = nil }
      return state.waiter
    }
    waiter?.resume()
  }

  /// Everything queued (at most ``batchLimit`` events), waiting for at least one event; empty once finished and drained, or when the calling task
  /// is cancelled (its client went away).
  func nextBatch() async -> [RealtimeHub.Event] {
    while true {
      let taken = state.withLock { state -> [RealtimeHub.Event]? in
        if state.queued.count > Self.batchLimit {
          defer { state.queued.removeFirst(Self.batchLimit) }
          return Array(state.queued.prefix(Self.batchLimit))
        }
        if !state.queued.isEmpty {
          defer { state.queued.removeAll(keepingCapacity: true) }
          return state.queued
        }
        return state.finished ? [] : nil
      }
      if let taken { return taken }
      if Task.isCancelled { return [] }
      await withTaskCancellationHandler {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
          let ready = state.withLock { state -> Bool in
            if !state.queued.isEmpty || state.finished || Task.isCancelled { return true }
            state.waiter = continuation
            return false
          }
          if ready { continuation.resume() }
        }
      } onCancel: {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
          defer { state.waiter = nil }
          return state.waiter
        }
        waiter?.resume()
      }
    }
  }

  struct AsyncIterator: AsyncIteratorProtocol {
    let mailbox: RealtimeMailbox
    var batch: [RealtimeHub.Event] = []
    var index = 0

    mutating func next() async -> RealtimeHub.Event? {
      if index == batch.count {
        batch = await mailbox.nextBatch()
        index = 0
        if batch.isEmpty { return nil }
      }
      defer { index += 1 }
      return batch[index]
    }
  }

  func makeAsyncIterator() -> AsyncIterator { AsyncIterator(mailbox: self) }
}
