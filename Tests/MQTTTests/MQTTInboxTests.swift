import NIOCore
import TestSupport
import Testing

@testable import MQTT

/// Subscriptions delivering into one ``MQTTInbox`` (the server's ingest takes its messages that way): batches in
/// arrival order across subscriptions, the oldest dropped when full, finished by disconnect.
@Suite("MQTTInbox", .timeLimit(.minutes(1)))
struct MQTTInboxTests {
  static func configuration(_ broker: FakeBroker) throws -> MQTTClientConfiguration {
    var configuration = try MQTTClientConfiguration(url: broker.url, clientID: "inbox")
    configuration.reconnect = .disabled
    configuration.ackTimeout = .seconds(20)
    return configuration
  }

  @Test("two subscriptions share one inbox: one batch in arrival order, the oldest dropped when full")
  func sharedInbox() async throws {
    try await FakeBroker.with { broker in
      let client = MQTTClient(configuration: try Self.configuration(broker))
      let inbox = MQTTInbox(capacity: 3)
      // Registered before connect: nobody takes from the inbox until every message is in.
      try await client.subscribe(["a/#"], qos: .atLeastOnce, into: inbox)
      try await client.subscribe(["b/#"], qos: .atLeastOnce, into: inbox)
      let connected = Task { try await client.connect() }
      let connection = try await broker.connection(0)
      try await connection.acceptConnect()
      guard case .subscribe(let subscribe) = try await connection.receive() else { throw HarnessError("SUBSCRIBE") }
      #expect(Set(subscribe.filters.map(\.topicFilter)) == ["a/#", "b/#"])
      try await connection.send(
        .subAck(.init(packetID: subscribe.packetID, returnCodes: subscribe.filters.map { _ in .atLeastOnce })))
      try await connected.value
      func publish(_ topic: String, id: UInt16) async throws {
        try await connection.send(
          .publish(.init(topic: topic, payload: ByteBuffer(string: "\(id)"), qos: .atLeastOnce, packetID: id)))
        // PUBACK follows the delivery: the message is in the inbox once it arrives.
        #expect(try await connection.receive() == .ack(.init(kind: .pubAck, packetID: id)))
      }
      try await publish("a/1", id: 1)
      try await publish("b/2", id: 2)
      try await publish("c/x", id: 3)  // matches neither subscription
      try await publish("a/3", id: 4)
      try await publish("b/4", id: 5)
      #expect(await inbox.nextBatch().map(\.topic) == ["b/2", "a/3", "b/4"])
      #expect(inbox.receivedCount == 4)
      #expect(client.droppedMessageCount == 1)
      try await publish("a/5", id: 6)
      #expect(await inbox.nextBatch().map(\.payloadString) == ["6"])
      await client.disconnect()
      #expect(await inbox.nextBatch().isEmpty)
    }
  }

  @Test("a waiting consumer gets the next message; a cancelled one an empty batch; a finished inbox keeps nothing")
  func waiting() async throws {
    let inbox = MQTTInbox(capacity: 8)
    let waiting = Task { await inbox.nextBatch() }
    inbox.deliver(MQTTMessage(topic: "t", payload: ByteBuffer(string: "1")))
    #expect(await waiting.value.map(\.payloadString) == ["1"])

    let cancelled = Task { await inbox.nextBatch() }
    cancelled.cancel()
    #expect(await cancelled.value.isEmpty)

    inbox.deliver(MQTTMessage(topic: "t", payload: ByteBuffer(string: "2")))
    inbox.finish()
    inbox.deliver(MQTTMessage(topic: "t", payload: ByteBuffer(string: "3")))
    #expect(await inbox.nextBatch().map(\.payloadString) == ["2"])
    #expect(await inbox.nextBatch().isEmpty)
  }
}
