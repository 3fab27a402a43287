import NIOCore
import TestSupport
import Testing

@testable import MQTT

/// `MQTTClient.taskExecutor` (SE-0417 task executor preference for the client's event loop) against a real
/// Mosquitto: tasks preferring it run on the loop, resume there after the loop delivers a message or an ack, and
/// behave as without it.
@Suite("Task executor preference", .timeLimit(.minutes(3)))
struct TaskExecutorTests {
  @Test("a task preferring the client's executor runs on the client's event loop, its child tasks too")
  func runsOnTheLoop() async throws {
    try await MosquittoBroker.with { broker in
      try await withClient(try broker.configuration(.tcp)) { client in
        #expect(await onLoop(client) == false)
        let (inside, child) = await withTaskExecutorPreference(client.taskExecutor) {
          let inside = await onLoop(client)
          let child = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await onLoop(client) }
            return await group.next() ?? false
          }
          return (inside, child)
        }
        #expect(inside)
        #expect(child)
        #expect(await Task(executorPreference: client.taskExecutor) { await onLoop(client) }.value)
      }
    }
  }

  @Test("publish/subscribe round trips at QoS 0, 1 and 2 inside the preference, resumed on the loop each time")
  func roundTrips() async throws {
    try await MosquittoBroker.with { broker in
      try await withClient(try broker.configuration(.tcp)) { client in
        let topic = uniqueTopic("affinity")
        try await withTaskExecutorPreference(client.taskExecutor) {
          let subscription = try await client.subscribe([topic], qos: .exactlyOnce)
          var iterator = subscription.makeAsyncIterator()
          for (index, qos) in [MQTTQoS.atMostOnce, .atLeastOnce, .exactlyOnce].enumerated() {
            // QoS 1 and 2 return on the broker's ack, which the loop reads and resumes us with.
            try await client.publish(topic: topic, payload: "\(index)", qos: qos)
            #expect(client.eventLoop.inEventLoop)
            let message = await iterator.next()
            #expect(message?.payloadString == "\(index)")
            #expect(message?.qos == qos)
            #expect(client.eventLoop.inEventLoop)
          }

          let inbox = MQTTInbox(capacity: 8)
          try await client.subscribe([topic + "/inbox"], qos: .atLeastOnce, into: inbox)
          try await client.publish(topic: topic + "/inbox", payload: "batched", qos: .atLeastOnce)
          #expect(await inbox.nextBatch().map(\.payloadString) == ["batched"])
          #expect(client.eventLoop.inEventLoop)
          try await client.unsubscribe([topic, topic + "/inbox"])
        }
      }
    }
  }

  @Test("cancelling a task that awaits a subscription or an inbox inside the preference ends it cleanly")
  func cancellation() async throws {
    try await MosquittoBroker.with { broker in
      try await withClient(try broker.configuration(.tcp)) { client in
        let topic = uniqueTopic("affinity-cancel")
        let subscription = try await client.subscribe([topic])
        let (received, receivedContinuation) = AsyncStream.makeStream(of: Void.self)
        let consumer = Task(executorPreference: client.taskExecutor) { () -> [String] in
          var payloads: [String] = []
          for await message in subscription {
            payloads.append(message.payloadString)
            receivedContinuation.yield()
          }
          return payloads
        }
        try await client.publish(topic: topic, payload: "first", qos: .atLeastOnce)
        var signals = received.makeAsyncIterator()
        await signals.next()
        // The consumer now waits (or is about to wait) for a second message that never comes.
        consumer.cancel()
        #expect(await consumer.value == ["first"])
        // Its stream ended, so the client forgot the subscriber.
        #expect(client.shared.withLockedValue { $0.subscriptions.subscribers.isEmpty })

        let inbox = MQTTInbox(capacity: 8)
        try await client.subscribe([topic + "/inbox"], into: inbox)
        let batchTaker = Task(executorPreference: client.taskExecutor) { await inbox.nextBatch() }
        batchTaker.cancel()
        #expect(await batchTaker.value.isEmpty)

        // The client goes on working, with and without the preference.
        let again = try await client.subscribe([topic])
        try await withTaskExecutorPreference(client.taskExecutor) {
          try await client.publish(topic: topic, payload: "second", qos: .atLeastOnce)
        }
        var iterator = again.makeAsyncIterator()
        #expect(await iterator.next()?.payloadString == "second")
      }
    }
  }

  @Test("without the preference the client works as before, its task resumed off the loop")
  func withoutPreference() async throws {
    try await MosquittoBroker.with { broker in
      try await withClient(try broker.configuration(.tcp)) { client in
        let topic = uniqueTopic("no-affinity")
        let subscription = try await client.subscribe([topic], qos: .atLeastOnce)
        var iterator = subscription.makeAsyncIterator()
        try await client.publish(topic: topic, payload: "plain", qos: .atLeastOnce)
        #expect(await iterator.next()?.payloadString == "plain")
        #expect(await onLoop(client) == false)
      }
    }
  }

  @Test("the client stays on its event loop across a reconnect, and the preference still applies")
  func reconnectKeepsTheLoop() async throws {
    try await MosquittoBroker.with { broker in
      try await withClient(try broker.configuration(.tcp)) { client in
        let first = try #require(client.shared.withLockedValue { $0.connection })
        #expect(first.channel.eventLoop === client.eventLoop)
        client.simulateConnectionLoss()
        try await poll("reconnected on a new connection") {
          client.state.isConnected && client.shared.withLockedValue { $0.connection.map { $0 !== first } ?? false }
        }
        #expect(client.shared.withLockedValue { $0.connection?.channel.eventLoop } === client.eventLoop)
        let topic = uniqueTopic("affinity-reconnect")
        let subscription = try await client.subscribe([topic])
        let payload = try await withTaskExecutorPreference(client.taskExecutor) {
          var iterator = subscription.makeAsyncIterator()
          try await client.publish(topic: topic, payload: "back", qos: .atLeastOnce)
          let message = await iterator.next()
          #expect(client.eventLoop.inEventLoop)
          return message?.payloadString
        }
        #expect(payload == "back")
      }
    }
  }
}

/// Whether a nonisolated async function, which runs on the calling task's preferred executor (or the global one),
/// finds itself on the client's event loop.
private func onLoop(_ client: MQTTClient) async -> Bool {
  client.eventLoop.inEventLoop
}
