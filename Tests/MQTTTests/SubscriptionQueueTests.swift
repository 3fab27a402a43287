import NIOCore
import Synchronization
import Testing

@testable import MQTT

/// The bounded queue behind ``MQTTSubscription`` on its own: drop-oldest at the bound, hand-over to waiting
/// consumers in order, and how it ends (finish, cancellation, consumer dropped).
@Suite("SubscriptionQueue", .timeLimit(.minutes(1)))
struct SubscriptionQueueTests {
  static func message(_ payload: String) -> MQTTMessage {
    MQTTMessage(topic: "t", payload: ByteBuffer(string: payload))
  }

  @Test("full: the oldest message is dropped and reported; the rest come in order, then nil after finish")
  func dropOldest() async {
    let queue = SubscriptionQueue(capacity: 2)
    let kept = (1...5).map { queue.deliver(Self.message("\($0)")) }
    #expect(kept == [true, true, false, false, false])
    queue.finish()
    #expect(queue.deliver(Self.message("6")))  // finished: taken, nothing dropped, never delivered
    let subscription = MQTTSubscription(filters: ["t"], queue: queue)
    var payloads: [String] = []
    for await message in subscription { payloads.append(message.payloadString) }
    #expect(payloads == ["4", "5"])
  }

  @Test("a capacity below one keeps one message")
  func minimumCapacity() async {
    let queue = SubscriptionQueue(capacity: 0)
    #expect(queue.deliver(Self.message("1")))
    #expect(!queue.deliver(Self.message("2")))
    #expect(await queue.next()?.payloadString == "2")
  }

  @Test("concurrent consumers each take a different message; finish ends the rest")
  func waiters() async {
    let queue = SubscriptionQueue(capacity: 4)
    let subscription = MQTTSubscription(filters: ["t"], queue: queue)
    let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
    var consumers: [Task<String?, Never>] = []
    var signals = started.makeAsyncIterator()
    for _ in 0..<3 {
      consumers.append(
        Task {
          startedContinuation.yield()
          var iterator = subscription.makeAsyncIterator()
          return await iterator.next()?.payloadString
        })
      await signals.next()
    }
    // Each consumer either waits or finds a message queued: either way every message is taken exactly once.
    #expect(queue.deliver(Self.message("a")))
    #expect(queue.deliver(Self.message("b")))
    queue.finish()
    var results: [String?] = []
    for consumer in consumers { results.append(await consumer.value) }
    #expect(results.compactMap { $0 }.sorted() == ["a", "b"])
    #expect(results.filter { $0 == nil }.count == 1)
  }

  @Test("cancelling a task in next() ends the queue: it returns nil and the termination handler runs once")
  func cancellation() async {
    let queue = SubscriptionQueue(capacity: 4)
    let terminations = Mutex(0)
    queue.setOnTermination { terminations.withLock { $0 += 1 } }
    let subscription = MQTTSubscription(filters: ["t"], queue: queue)
    let consumer = Task {
      var iterator = subscription.makeAsyncIterator()
      return await iterator.next()
    }
    consumer.cancel()
    #expect(await consumer.value == nil)
    #expect(queue.deliver(Self.message("late")))  // ended: nothing queued, nothing dropped
    #expect(await queue.next() == nil)
    queue.finish()
    #expect(terminations.withLock { $0 } == 1)
  }

  @Test("dropping the subscription and its iterators ends the queue, as with AsyncStream")
  func consumerDropped() async {
    let queue = SubscriptionQueue(capacity: 4)
    let terminations = Mutex(0)
    queue.setOnTermination { terminations.withLock { $0 += 1 } }
    do {
      let subscription = MQTTSubscription(filters: ["t"], queue: queue)
      var iterator = subscription.makeAsyncIterator()
      #expect(queue.deliver(Self.message("1")))
      #expect(await iterator.next()?.payloadString == "1")
    }
    #expect(terminations.withLock { $0 } == 1)
  }
}
