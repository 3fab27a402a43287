import Synchronization

/// A bounded queue that one or more subscriptions deliver into (``MQTTClient/subscribe(_:qos:into:)``), taken by
/// one consumer in batches: ``nextBatch()`` returns everything that arrived since the last call. A consumer that
/// keeps up wakes once per message; one that is busy finds all the messages of its busy time in one batch, so a
/// burst costs one wake-up instead of one per message. Messages are kept in arrival order across the subscriptions
/// (they arrive on one connection). Full: the oldest message is dropped, as on a subscription stream.
public final class MQTTInbox: Sendable {
  private struct State {
    var queued: [MQTTMessage] = []
    /// Index of the oldest message still queued (dropping the oldest moves it instead of shifting the array).
    var head = 0
    var waiter: CheckedContinuation<Void, Never>?
    var finished = false
    var received = 0

    var count: Int { queued.count - head }
  }

  /// Messages kept at most; beyond that the oldest are dropped.
  public let capacity: Int
  private let state = Mutex(State())

  public init(capacity: Int) {
    self.capacity = max(1, capacity)
  }

  /// Messages delivered since the inbox was made (dropped ones included).
  public var receivedCount: Int { state.withLock { $0.received } }

  /// Queues a message; returns false when the inbox was full and dropped its oldest message to make room. A
  /// finished inbox takes nothing (returns true: nothing was dropped).
  @discardableResult
  func deliver(_ message: MQTTMessage) -> Bool {
    let (kept, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
      guard !state.finished else { return (true, nil) }
      state.received += 1
      var kept = true
      if state.count >= capacity {
        state.head += 1
        kept = false
      }
      state.queued.append(message)
      defer { state.waiter = nil }
      return (kept, state.waiter)
    }
    waiter?.resume()
    return kept
  }

  /// No more messages: the consumer gets what is queued, then an empty batch.
  public func finish() {
    let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
      state.finished = true
      defer { state.waiter = nil }
      return state.waiter
    }
    waiter?.resume()
  }

  /// Everything queued, in arrival order, waiting for at least one message. Empty once finished and drained, or
  /// when the calling task is cancelled. One consumer at a time.
  public func nextBatch() async -> [MQTTMessage] {
    while true {
      if let taken = take() { return taken }
      if Task.isCancelled { return [] }
      await withTaskCancellationHandler {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
          let ready = state.withLock { state -> Bool in
            if state.count > 0 || state.finished || Task.isCancelled { return true }
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

  /// What is queued without waiting: nil when nothing is (and the inbox is not finished), empty when finished.
  private func take() -> [MQTTMessage]? {
    state.withLock { state -> [MQTTMessage]? in
      guard state.count > 0 else { return state.finished ? [] : nil }
      var taken: [MQTTMessage] = []
      swap(&taken, &state.queued)
      // The next batch is likely as large as this one: room for it now saves growing the array message by message.
      state.queued.reserveCapacity(min(taken.count, capacity))
      if state.head > 0 {
        taken.removeFirst(state.head)
        state.head = 0
      }
      return taken
    }
  }
}
