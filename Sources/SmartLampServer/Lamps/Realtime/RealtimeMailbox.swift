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
    /// The waiter is a paced stream: an event wakes it only once a batch is full (its timer wakes it otherwise).
    var pacing = false
    var finished = false
  }

  let capacity: Int
  private let state = Mutex(State())
  /// At most this many events per write: a stream stuck in a write to a slow reader holds no more than these
  /// beyond its queue, so the hub still notices a reader that stopped reading about as soon as before.
  static let batchLimit = 64
  /// While events keep coming, a stream writes at most `writeBurst` times at once, then once per `writeInterval`
  /// (RealtimeWritePacer.swift). LampBench `load` (1 000 admin streams, 100 commands/s): at 25 ms the server still
  /// could not keep up; 100 and 250 ms both held 100 commands/s with about the same overhead, and 100 ms keeps a
  /// dashboard lively.
  static let writeInterval: Duration = .milliseconds(100)
  static let writeBurst = 3

  /// Each stream's own interval, within 10 ms of ``writeInterval``: streams woken by the same tick would otherwise
  /// stay in step for good, all writing in one tick every interval, with a command's answer queued behind a
  /// thousand writes (the p99 of LampBench `load`). Slightly different periods drift apart.
  static func writeInterval(forStream id: Int) -> Duration {
    writeInterval + .milliseconds(id % 21 - 10)
  }

  init(capacity: Int) {
    self.capacity = Swift.max(1, capacity)
  }

  /// Queues an event; false when the mailbox is full or finished (nothing is queued then).
  func yield(_ event: RealtimeHub.Event) -> Bool {
    switch offer(event) {
    case .queued: return true
    case .queuedWaking(let waiter):
      waiter.resume()
      return true
    case .refused: return false
    }
  }

  enum Offer {
    case queued
    /// Queued, and the stream was waiting for it: the caller resumes it (the hub does so once its lock is released).
    case queuedWaking(CheckedContinuation<Void, Never>)
    /// Full or finished: nothing was queued.
    case refused
  }

  /// ``yield(_:)`` that leaves waking the stream to the caller.
  func offer(_ event: RealtimeHub.Event) -> Offer {
    state.withLock { state -> Offer in
      guard !state.finished, state.queued.count < capacity else { return .refused }
      state.queued.append(event)
      guard let waiter = state.waiter, !state.pacing || state.queued.count >= Self.batchLimit else { return .queued }
      state.waiter = nil
      state.pacing = false
      return .queuedWaking(waiter)
    }
  }

  /// No more events: the consumer gets what is queued, then the end.
  func finish() {
    let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
      state.finished = true
      state.pacing = false
      defer { state.waiter = nil }
      return state.waiter
    }
    waiter?.resume()
  }

  /// Everything queued (at most ``batchLimit`` events), waiting for at least one event; empty once finished and
  /// drained, or when the calling task is cancelled (its client went away).
  ///
  /// With `notBefore` (from the stream's RealtimeWritePacer), a batch that is not yet full waits until then, so what
  /// arrives meanwhile goes out in the same write; a batch that fills up meanwhile goes out at once (a stream must
  /// keep up with a burst of reports, or the hub drops it as a slow reader).
  func nextBatch(notBefore: ContinuousClock.Instant? = nil) async -> [RealtimeHub.Event] {
    if let notBefore, ContinuousClock.now < notBefore {
      await waitForEvent()
      await waitForFullBatch(orUntil: notBefore)
    }
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
      await waitForEvent()
    }
  }

  /// Returns once a batch is full, the mailbox is finished, `deadline` has come, or the calling task is cancelled.
  private func waitForFullBatch(orUntil deadline: ContinuousClock.Instant) async {
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let ready = state.withLock { state -> Bool in
          if state.queued.count >= Self.batchLimit || state.finished || Task.isCancelled { return true }
          state.waiter = continuation
          state.pacing = true
          return false
        }
        if ready {
          continuation.resume()
          return
        }
        // Can be overtaken: a batch filling up resumes the stream first, and the clock then finds no paced waiter
        // (or the stream's next one, which it wakes a little early: harmless).
        RealtimePaceClock.shared.wake(self, at: deadline)
      }
    } onCancel: {
      wakePaced()
    }
  }

  func wakePaced() {
    let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
      guard state.pacing else { return nil }
      state.pacing = false
      defer { state.waiter = nil }
      return state.waiter
    }
    waiter?.resume()
  }

  /// Returns once something is queued, the mailbox is finished, or the calling task is cancelled.
  private func waitForEvent() async {
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
        state.pacing = false
        defer { state.waiter = nil }
        return state.waiter
      }
      waiter?.resume()
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
