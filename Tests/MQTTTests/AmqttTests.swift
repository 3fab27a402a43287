import NIOCore
import TestSupport
import Testing

@testable import MQTT

/// The same client cases against amqtt, an independent broker implementation.
@Suite("amqtt", .timeLimit(.minutes(3)))
struct AmqttTests {
  static func configuration(
    _ broker: AmqttBroker, _ transport: MosquittoBroker.Transport,
    clientID: String = "amqtt-\(UInt32.random(in: 0...UInt32.max))"
  ) throws -> MQTTClientConfiguration {
    var configuration = try MQTTClientConfiguration(url: broker.url(transport), clientID: clientID)
    configuration.username = broker.username
    configuration.password = broker.password
    configuration.caFile = broker.caFile
    configuration.reconnect = .disabled
    configuration.connectTimeout = .seconds(20)
    configuration.ackTimeout = .seconds(20)
    return configuration
  }

  @Test("connect, subscribe, QoS 0 and 1 round trip; wrong password refused; Will on loss; on every transport")
  func basics() async throws {
    // One broker for all four transports: amqtt is a Python process and slow to start on a loaded machine.
    try await AmqttBroker.with { broker in
      for transport in MosquittoBroker.Transport.allCases {
        try await basics(broker, transport: transport)
      }
    }
  }

  func basics(_ broker: AmqttBroker, transport: MosquittoBroker.Transport) async throws {
    do {
      let topic = uniqueTopic("amqtt")
      try await withClient(try Self.configuration(broker, transport)) { client in
        let inbox = Inbox(try await client.subscribe([topic + "/+"], qos: .atLeastOnce))
        try await client.publish(topic: topic + "/a", payload: "zero", qos: .atMostOnce)
        try await client.publish(topic: topic + "/b", payload: "one", qos: .atLeastOnce)
        let messages = try await inbox.wait(for: 2)
        #expect(Set(messages.map(\.payloadString)) == ["zero", "one"])

        var wrong = try Self.configuration(broker, transport)
        wrong.password = "wrong"
        let refused = MQTTClient(configuration: wrong)
        await #expect {
          try await refused.connect()
        } throws: { error in
          if case .connectionRefused = error as? MQTTError { return true }
          return false
        }
        await refused.disconnect()

        let willTopic = topic + "/will"
        var crashing = try Self.configuration(broker, transport)
        crashing.will = MQTTWill(topic: willTopic, payload: "gone", qos: .atLeastOnce)
        let victim = MQTTClient(configuration: crashing)
        try await victim.connect()
        victim.simulateConnectionLoss()
        let will = try await inbox.wait { $0.topic == willTopic }
        #expect(will.payloadString == "gone")
        await victim.disconnect()
      }
    }
  }

  @Test("Will is not published after a clean DISCONNECT")
  func noWillAfterDisconnect() async throws {
    try await AmqttBroker.with { broker in
      let willTopic = uniqueTopic("amqtt-will")
      try await withClient(try Self.configuration(broker, .tcp)) { watcher in
        let inbox = Inbox(try await watcher.subscribe([willTopic]))
        var polite = try Self.configuration(broker, .tcp)
        polite.will = MQTTWill(topic: willTopic, payload: "should-not-appear", qos: .atLeastOnce)
        let leaving = MQTTClient(configuration: polite)
        try await leaving.connect()
        await leaving.disconnect()
        // amqtt handles each connection in order; round-trip markers until the broker has surely processed the
        // DISCONNECT (it logs nothing we could wait for), then check nothing but markers arrived.
        for index in 0..<3 {
          try await watcher.publish(topic: willTopic, payload: "marker-\(index)", qos: .atLeastOnce)
          try await inbox.wait { $0.payloadString == "marker-\(index)" }
        }
        #expect(!inbox.all.contains { $0.payloadString == "should-not-appear" })
      }
    }
  }
}
