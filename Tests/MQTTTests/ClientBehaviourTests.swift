import Logging
import NIOCore
import TestSupport
import Testing

@testable import MQTT

/// Client behaviour a real broker will not produce on demand, against the scripted ``FakeBroker``.
@Suite("Client behaviour", .timeLimit(.minutes(3)))
struct ClientBehaviourTests {
  static func configuration(_ broker: FakeBroker, clientID: String = "fake") throws -> MQTTClientConfiguration {
    var configuration = try MQTTClientConfiguration(url: broker.url, clientID: clientID)
    configuration.reconnect = MQTTBackoff(initial: .milliseconds(20), maximum: .milliseconds(100), jitter: 0.1)
    configuration.ackTimeout = .seconds(20)  // tests that exercise the timeout set their own
    return configuration
  }

  @Test("CONNECT carries clean session, keep-alive, credentials and Will")
  func connectPacket() async throws {
    try await FakeBroker.with { broker in
      var configuration = try Self.configuration(broker, clientID: "lamp-1")
      configuration.cleanSession = false
      configuration.keepAlive = .milliseconds(1500)
      configuration.username = "u"
      configuration.password = "p"
      configuration.will = MQTTWill(topic: "lamp/1/LWT", payload: "Offline", qos: .atLeastOnce, retain: true)
      let client = MQTTClient(configuration: configuration)
      let connected = Task { try await client.connect() }
      let connect = try await broker.connection(0).acceptConnect()
      try await connected.value
      #expect(connect.clientID == "lamp-1")
      #expect(!connect.cleanSession)
      #expect(connect.keepAliveSeconds == 2)
      #expect(connect.username == "u" && connect.password == ByteBuffer(string: "p"))
      #expect(connect.will == MQTTWill(topic: "lamp/1/LWT", payload: "Offline", qos: .atLeastOnce, retain: true))
      await client.disconnect()
      #expect(try await broker.connection(0).receive() == .disconnect)
    }
  }

  @Test("CONNACK refusal codes become typed errors", arguments: [UInt8(1), 2, 3, 4, 5])
  func refusal(code: UInt8) async throws {
    try await FakeBroker.with { broker in
      let client = MQTTClient(configuration: try Self.configuration(broker))
      let connected = Task { try await client.connect() }
      try await broker.connection(0).acceptConnect(returnCode: code)
      await #expect(throws: MQTTError.connectionRefused(MQTTConnectReturnCode(rawValue: code)!)) {
        try await connected.value
      }
      await client.disconnect()
    }
  }

  @Test("unacknowledged QoS 1 publish is re-sent with DUP and the same id after a reconnect (persistent session)")
  func redeliveryWithDup() async throws {
    try await FakeBroker.with { broker in
      var configuration = try Self.configuration(broker)
      configuration.cleanSession = false
      let client = MQTTClient(configuration: configuration)
      let connected = Task { try await client.connect() }
      let first = try await broker.connection(0)
      try await first.acceptConnect()
      try await connected.value

      let published = Task { try await client.publish(topic: "cmnd/lamp/POWER", payload: "ON", qos: .atLeastOnce) }
      guard case .publish(let original) = try await first.receive() else { throw HarnessError("expected PUBLISH") }
      #expect(!original.dup)
      await first.close()  // the PUBACK never comes

      let second = try await broker.connection(1)
      try await second.acceptConnect(sessionPresent: true)
      guard case .publish(let resent) = try await second.receive() else { throw HarnessError("expected PUBLISH") }
      #expect(resent.dup)
      #expect(resent.packetID == original.packetID)
      #expect(resent.payload == original.payload && resent.topic == original.topic)
      try await second.send(.ack(.init(kind: .pubAck, packetID: try #require(resent.packetID))))
      try await published.value
      await client.disconnect()
    }
  }

  @Test("clean session: in-flight QoS 1 fails with .closed, and publishing while down fails fast")
  func cleanSessionFailsFast() async throws {
    try await FakeBroker.with { broker in
      var configuration = try Self.configuration(broker)
      configuration.reconnect = .disabled
      let client = MQTTClient(configuration: configuration)
      let connected = Task { try await client.connect() }
      let connection = try await broker.connection(0)
      try await connection.acceptConnect()
      try await connected.value
      let published = Task { try await client.publish(topic: "t", payload: "x", qos: .atLeastOnce) }
      _ = try await connection.receive()
      await connection.close()
      await #expect(throws: MQTTError.closed) { try await published.value }
      try await poll { !client.state.isConnected }
      await #expect(throws: MQTTError.notConnected) {
        try await client.publish(topic: "t", payload: "y", qos: .atLeastOnce)
      }
      await #expect(throws: MQTTError.notConnected) { try await client.publish(topic: "t", payload: "y") }
      await client.disconnect()
    }
  }

  @Test("no PUBACK within ackTimeout is MQTTError.timeout")
  func ackTimeout() async throws {
    try await FakeBroker.with { broker in
      var configuration = try Self.configuration(broker)
      configuration.ackTimeout = .milliseconds(300)
      let client = MQTTClient(configuration: configuration)
      let connected = Task { try await client.connect() }
      try await broker.connection(0).acceptConnect()
      try await connected.value
      await #expect(throws: MQTTError.timeout) { try await client.publish(topic: "t", payload: "x", qos: .atLeastOnce) }
      await client.disconnect()
    }
  }

  @Test("a refused filter in SUBACK is reported")
  func subscriptionRefused() async throws {
    try await FakeBroker.with { broker in
      let client = MQTTClient(configuration: try Self.configuration(broker))
      let connected = Task { try await client.connect() }
      let connection = try await broker.connection(0)
      try await connection.acceptConnect()
      try await connected.value
      let subscribed = Task { try await client.subscribe(["allowed/#", "forbidden/#"]) }
      guard case .subscribe(let subscribe) = try await connection.receive() else {
        throw HarnessError("expected SUBSCRIBE")
      }
      #expect(subscribe.filters.map(\.topicFilter) == ["allowed/#", "forbidden/#"])
      try await connection.send(.subAck(.init(packetID: subscribe.packetID, returnCodes: [.atLeastOnce, nil])))
      await #expect(throws: MQTTError.subscriptionRefused("forbidden/#")) { _ = try await subscribed.value }
      await client.disconnect()
    }
  }

  @Test("packet identifiers of concurrent requests never collide")
  func packetIdentifiers() async throws {
    try await FakeBroker.with { broker in
      var configuration = try Self.configuration(broker)
      configuration.ackTimeout = .seconds(30)  // 300 requests on a loaded or sanitized build
      let client = MQTTClient(configuration: configuration)
      let connected = Task { try await client.connect() }
      let connection = try await broker.connection(0)
      try await connection.acceptConnect()
      try await connected.value
      let count = 300
      try await withThrowingTaskGroup(of: Void.self) { group in
        for index in 0..<count {
          group.addTask { try await client.publish(topic: "t/\(index)", payload: "x", qos: .atLeastOnce) }
        }
        var ids = Set<UInt16>()
        for _ in 0..<count {
          guard case .publish(let publish) = try await connection.receive(), let id = publish.packetID else {
            throw HarnessError("expected a QoS 1 PUBLISH")
          }
          #expect(id != 0)
          #expect(ids.insert(id).inserted, "packet id \(id) reused while in flight")
        }
        for id in ids { try await connection.send(.ack(.init(kind: .pubAck, packetID: id))) }
        try await group.waitForAll()
      }
      await client.disconnect()
    }
  }

  @Test("inbound QoS 2: PUBREC, delivered once despite a DUP re-send, PUBCOMP on PUBREL")
  func inboundQoS2() async throws {
    try await FakeBroker.with { broker in
      let client = MQTTClient(configuration: try Self.configuration(broker))
      let inbox = Inbox(try await client.subscribe(["q2/#"]))
      let connected = Task { try await client.connect() }
      let connection = try await broker.connection(0)
      try await connection.acceptConnect()
      guard case .subscribe(let subscribe) = try await connection.receive() else {
        throw HarnessError("expected SUBSCRIBE")
      }
      try await connection.send(.subAck(.init(packetID: subscribe.packetID, returnCodes: [.exactlyOnce])))
      try await connected.value
      var publish = MQTTPacket.Publish(
        topic: "q2/a", payload: ByteBuffer(string: "once"), qos: .exactlyOnce, packetID: 7)
      try await connection.send(.publish(publish))
      #expect(try await connection.receive() == .ack(.init(kind: .pubRec, packetID: 7)))
      publish.dup = true
      try await connection.send(.publish(publish))
      #expect(try await connection.receive() == .ack(.init(kind: .pubRec, packetID: 7)))
      try await connection.send(.ack(.init(kind: .pubRel, packetID: 7)))
      #expect(try await connection.receive() == .ack(.init(kind: .pubComp, packetID: 7)))
      // A QoS 1 marker after the exchange: once it is in, any duplicate would have been delivered before it.
      try await connection.send(
        .publish(.init(topic: "q2/b", payload: ByteBuffer(string: "marker"), qos: .atLeastOnce, packetID: 8)))
      #expect(try await connection.receive() == .ack(.init(kind: .pubAck, packetID: 8)))
      let messages = try await inbox.wait(for: 2)
      #expect(messages.map(\.payloadString) == ["once", "marker"])
      await client.disconnect()
    }
  }

  @Test("outbound QoS 2 completes after PUBREC, PUBREL, PUBCOMP")
  func outboundQoS2() async throws {
    try await FakeBroker.with { broker in
      let client = MQTTClient(configuration: try Self.configuration(broker))
      let connected = Task { try await client.connect() }
      let connection = try await broker.connection(0)
      try await connection.acceptConnect()
      try await connected.value
      let published = Task { try await client.publish(topic: "t", payload: "x", qos: .exactlyOnce) }
      guard case .publish(let publish) = try await connection.receive(), let id = publish.packetID else {
        throw HarnessError("expected PUBLISH")
      }
      try await connection.send(.ack(.init(kind: .pubRec, packetID: id)))
      #expect(try await connection.receive() == .ack(.init(kind: .pubRel, packetID: id)))
      try await connection.send(.ack(.init(kind: .pubComp, packetID: id)))
      try await published.value
      await client.disconnect()
    }
  }

  @Test("PINGREQ on idle; a missing PINGRESP marks the connection dead")
  func keepAlive() async throws {
    try await FakeBroker.with { broker in
      var configuration = try Self.configuration(broker)
      // Generous enough that a loaded machine still answers the first PINGREQ in time.
      configuration.keepAlive = .seconds(2)
      configuration.ackTimeout = .seconds(2)
      configuration.reconnect = .disabled
      let client = MQTTClient(configuration: configuration)
      let connected = Task { try await client.connect() }
      let connection = try await broker.connection(0)
      try await connection.acceptConnect()
      try await connected.value
      #expect(try await connection.receive(timeout: .seconds(10)) == .pingReq)
      try await connection.send(.pingResp)
      #expect(try await connection.receive(timeout: .seconds(10)) == .pingReq)
      // No answer this time.
      try await poll("client gives up on the silent broker", timeout: .seconds(10)) { !client.state.isConnected }
      guard case .disconnected(let reason) = client.state else { throw HarnessError("expected disconnected") }
      #expect(reason.contains("PINGRESP"))
      try await poll("client closed the socket", timeout: .seconds(30)) { connection.isClosed }
      await client.disconnect()
    }
  }

  @Test("malformed bytes from the broker close the connection with a protocol error, then it reconnects")
  func malformedInput() async throws {
    try await FakeBroker.with { broker in
      let client = MQTTClient(configuration: try Self.configuration(broker))
      let states = StateRecorder(client)
      let connected = Task { try await client.connect() }
      let first = try await broker.connection(0)
      try await first.acceptConnect()
      try await connected.value
      try await first.sendRaw([0x36, 2, 0, 0])  // PUBLISH with QoS 3
      try await poll("connection closed") { first.isClosed }
      try await broker.connection(1).acceptConnect()
      try await poll("reconnected") { client.state.isConnected }
      #expect(
        states.all.contains {
          if case .disconnected(let reason) = $0 { return reason.contains("QoS 3") }
          return false
        })
      await client.disconnect()
    }
  }

  @Test("connect times out against a server that never answers")
  func connectTimeout() async throws {
    try await FakeBroker.with { broker in
      var configuration = try Self.configuration(broker)
      configuration.connectTimeout = .milliseconds(300)
      let client = MQTTClient(configuration: configuration)
      await #expect(throws: MQTTError.timeout) { try await client.connect() }
      await client.disconnect()
    }
  }

  @Test("disconnect finishes subscription streams and fails waiting requests")
  func disconnectFinishes() async throws {
    try await FakeBroker.with { broker in
      let client = MQTTClient(configuration: try Self.configuration(broker))
      let connected = Task { try await client.connect() }
      let connection = try await broker.connection(0)
      try await connection.acceptConnect()
      try await connected.value
      let subscribed = Task { try await client.subscribe(["a"]) }
      guard case .subscribe(let subscribe) = try await connection.receive() else { throw HarnessError("SUBSCRIBE") }
      try await connection.send(.subAck(.init(packetID: subscribe.packetID, returnCodes: [.atLeastOnce])))
      let inbox = Inbox(try await subscribed.value)
      let published = Task { try await client.publish(topic: "a", payload: "x", qos: .atLeastOnce) }
      _ = try await connection.receive()
      await client.disconnect()
      await #expect(throws: MQTTError.closed) { try await published.value }
      try await poll("subscription stream finished") { inbox.isFinished }
      #expect(client.state == .disconnected(reason: "disconnected by the client"))
    }
  }

  @Test("a slow subscriber's buffer is bounded: the oldest messages are dropped")
  func boundedBuffer() async throws {
    try await FakeBroker.with { broker in
      var configuration = try Self.configuration(broker)
      configuration.subscriptionBufferSize = 2
      let client = MQTTClient(configuration: configuration)
      let subscription = try await client.subscribe(["b/#"])  // registered before connect, nobody reads yet
      let connected = Task { try await client.connect() }
      let connection = try await broker.connection(0)
      try await connection.acceptConnect()
      guard case .subscribe(let subscribe) = try await connection.receive() else { throw HarnessError("SUBSCRIBE") }
      try await connection.send(.subAck(.init(packetID: subscribe.packetID, returnCodes: [.atLeastOnce])))
      try await connected.value
      for index in 1...5 {
        let id = UInt16(index)
        try await connection.send(
          .publish(.init(topic: "b/\(index)", payload: ByteBuffer(string: "\(index)"), qos: .atLeastOnce, packetID: id))
        )
        #expect(try await connection.receive() == .ack(.init(kind: .pubAck, packetID: id)))
      }
      var iterator = subscription.makeAsyncIterator()
      #expect(await iterator.next()?.payloadString == "4")
      #expect(await iterator.next()?.payloadString == "5")
      await client.disconnect()
      #expect(await iterator.next() == nil)
    }
  }

  @Test("unsubscribe sends UNSUBSCRIBE, waits for UNSUBACK and finishes the stream")
  func unsubscribe() async throws {
    try await FakeBroker.with { broker in
      let client = MQTTClient(configuration: try Self.configuration(broker))
      let connected = Task { try await client.connect() }
      let connection = try await broker.connection(0)
      try await connection.acceptConnect()
      try await connected.value
      let subscribed = Task { try await client.subscribe(["u/#", "v"]) }
      guard case .subscribe(let subscribe) = try await connection.receive() else { throw HarnessError("SUBSCRIBE") }
      try await connection.send(
        .subAck(.init(packetID: subscribe.packetID, returnCodes: [.atLeastOnce, .atLeastOnce])))
      let inbox = Inbox(try await subscribed.value)
      let unsubscribed = Task { try await client.unsubscribe(["u/#", "v"]) }
      guard case .unsubscribe(let unsubscribe) = try await connection.receive() else {
        throw HarnessError("UNSUBSCRIBE")
      }
      #expect(unsubscribe.topicFilters == ["u/#", "v"])
      #expect(!inbox.isFinished)
      try await connection.send(.ack(.init(kind: .unsubAck, packetID: unsubscribe.packetID)))
      try await unsubscribed.value
      try await poll("stream finished") { inbox.isFinished }
      await client.disconnect()
    }
  }
}
