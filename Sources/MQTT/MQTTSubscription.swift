import NIOCore
import Synchronization

/// The messages matching one ``MQTTClient/subscribe(_:qos:)`` call, as an async sequence.
///
/// Matching is local (`+`, `#`, `$`-topic rules), so overlapping subscriptions each get their own copy and a
/// message is yielded once per subscription. The stream survives reconnects (the client re-subscribes) and ends
/// on ``MQTTClient/disconnect()`` or ``MQTTClient/unsubscribe(_:)`` of all its filters, when a task waiting in
/// `next()` is cancelled, or once the subscription and all its iterators are gone.
///
/// **The buffer is bounded** by ``MQTTClientConfiguration/subscriptionBufferSize``: a consumer that falls that far
/// behind loses the oldest messages (a warning is logged), rather than letting memory grow without limit.
///
/// Several iterators (or tasks) share one buffer: each message goes to one of them, the longest waiting first.
public struct MQTTSubscription: AsyncSequence, Sendable {
  public typealias Element = MQTTMessage

  /// The topic filters this subscription matches.
  public let filters: [String]
  let consumer: Consumer

  init(filters: [String], queue: SubscriptionQueue) {
    self.filters = filters
    self.consumer = Consumer(queue: queue)
  }

  public struct AsyncIterator: AsyncIteratorProtocol {
    let consumer: Consumer

    public mutating func next() async -> MQTTMessage? {
      await consumer.queue.next()
    }
  }

  public func makeAsyncIterator() -> AsyncIterator {
    AsyncIterator(consumer: consumer)
  }

  /// The consumer side's reference: once the subscription and its iterators are all dropped, nobody can read the
  /// queue any more, so it ends (and the client forgets the subscriber), as an `AsyncStream` does.
  final class Consumer: Sendable {
    let queue: SubscriptionQueue

    init(queue: SubscriptionQueue) { self.queue = queue }

    deinit { queue.finish() }
  }
}

/// The bounded buffer behind an ``MQTTSubscription``: messages queued by the connection's event loop and taken
/// one by one by `next()`. Not generic and without a per-message allocation (unlike `AsyncStream`, whose storage
/// is reached through the runtime's generic metadata on every yield): a consumer that waits is handed the message
/// directly, otherwise it goes into a ring buffer whose oldest entry is dropped when it is full.
final class SubscriptionQueue: Sendable {
  private struct State {
    var buffer = CircularBuffer<MQTTMessage>(initialCapacity: 16)
    /// Tasks waiting in `next()`, the longest waiting first (usually none or one).
    var waiters: [CheckedContinuation<MQTTMessage?, Never>] = []
    var finished = false
    /// Called once when the queue ends (finished by the client, a cancelled `next()`, or the consumer gone).
    var onTermination: (@Sendable () -> Void)?
  }

  let capacity: Int
  private let state = Mutex(State())

  init(capacity: Int) {
    self.capacity = max(1, capacity)
  }

  /// Set once, right after the queue is made and before anyone else sees it.
  func setOnTermination(_ handler: @escaping @Sendable () -> Void) {
    state.withLock { $0.onTermination = handler }
  }

  /// Queues a message, or hands it to a waiting consumer; false when the buffer was full and its oldest message
  /// was dropped to make room. A finished queue takes nothing (returns true: nothing was dropped).
  func deliver(_ message: MQTTMessage) -> Bool {
    let (kept, waiter) = state.withLock { state -> (Bool, CheckedContinuation<MQTTMessage?, Never>?) in
      guard !state.finished else { return (true, nil) }
      if !state.waiters.isEmpty { return (true, state.waiters.removeFirst()) }
      var kept = true
      if state.buffer.count >= capacity {
        state.buffer.removeFirst()
        kept = false
      }
      state.buffer.append(message)
      return (kept, nil)
    }
    waiter?.resume(returning: message)
    return kept
  }

  /// No more messages: consumers get what is queued, then nil.
  func finish() {
    let (waiters, onTermination) = state.withLock {
      state -> ([CheckedContinuation<MQTTMessage?, Never>], (@Sendable () -> Void)?) in
      state.finished = true
      // Waiters exist only while the buffer is empty.
      defer {
        state.waiters = []
        state.onTermination = nil
      }
      return (state.waiters, state.onTermination)
    }
    onTermination?()
    for waiter in waiters { waiter.resume(returning: nil) }
  }

  /// The oldest queued message, waiting for one; nil once finished and drained. Cancelling the waiting task ends
  /// the queue (as cancelling an `AsyncStream` iteration does): it gets what is still queued, then nil.
  func next() async -> MQTTMessage? {
    if !Task.isCancelled, let message = state.withLock({ $0.buffer.popFirst() }) { return message }
    return await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<MQTTMessage?, Never>) in
        let ready = state.withLock { state -> MQTTMessage?? in
          if let message = state.buffer.popFirst() { return .some(message) }
          if state.finished { return .some(nil) }
          state.waiters.append(continuation)
          return nil
        }
        if let ready { continuation.resume(returning: ready) }
      }
    } onCancel: {
      finish()
    }
  }
}
