import NIOCore
import TestSupport
import Testing

@testable import MQTT

/// The client against a real Mosquitto on every transport.
@Suite("Mosquitto", .timeLimit(.minutes(3)))
struct MosquittoTests {
  @Test("connect with credentials, QoS 0 and 1 round trip", arguments: MosquittoBroker.Transport.allCases)
  func roundTrip(transport: MosquittoBroker.Transport) async throws {
    try await MosquittoBroker.with { broker in
      try await withClient(try broker.configuration(transport)) { client in
        #expect(client.state == .connected(sessionPresent: false))
        let topic = uniqueTopic()
        let inbox = Inbox(try await client.subscribe([topic + "/#"], qos: .exactlyOnce))
        try await client.publish(topic: topic + "/zero", payload: "q0", qos: .atMostOnce)
        try await client.publish(topic: topic + "/one", payload: "q1", qos: .atLeastOnce)
        try await client.publish(topic: topic + "/two", payload: "q2", qos: .exactlyOnce)
        let messages = try await inbox.wait(for: 3)
        #expect(Set(messages.map(\.payloadString)) == ["q0", "q1", "q2"])
        #expect(messages.first { $0.payloadString == "q1" }?.qos == .atLeastOnce)
        #expect(messages.first { $0.payloadString == "q2" }?.qos == .exactlyOnce)
      }
    }
  }

  @Test("wrong password is CONNACK 5, not authorised", arguments: MosquittoBroker.Transport.allCases)
  func wrongPassword(transport: MosquittoBroker.Transport) async throws {
    try await MosquittoBroker.with { broker in
      var configuration = try broker.configuration(transport)
      configuration.password = "wrong"
      let client = MQTTClient(configuration: configuration)
      await #expect(throws: MQTTError.connectionRefused(.notAuthorized)) { try await client.connect() }
      #expect(client.state == .disconnected(reason: MQTTError.connectionRefused(.notAuthorized).description))
      await client.disconnect()
    }
  }

  @Test("retained message reaches a late subscriber", arguments: MosquittoBroker.Transport.allCases)
  func retained(transport: MosquittoBroker.Transport) async throws {
    try await MosquittoBroker.with { broker in
      let topic = uniqueTopic("retained")
      try await withClient(try broker.configuration(transport)) { publisher in
        try await publisher.publish(topic: topic, payload: "kept", qos: .atLeastOnce, retain: true)
      }
      try await withClient(try broker.configuration(transport)) { subscriber in
        let inbox = Inbox(try await subscriber.subscribe([topic]))
        let message = try await inbox.wait { $0.topic == topic }
        #expect(message.payloadString == "kept")
        #expect(message.retain)
      }
    }
  }

  @Test("Will is published on connection loss, not after DISCONNECT", arguments: MosquittoBroker.Transport.allCases)
  func will(transport: MosquittoBroker.Transport) async throws {
    try await MosquittoBroker.with { broker in
      let willTopic = uniqueTopic("will")
      try await withClient(try broker.configuration(.tcp)) { watcher in
        let inbox = Inbox(try await watcher.subscribe([willTopic]))

        var crashing = try broker.configuration(transport, clientID: "crashing-\(transport)")
        crashing.will = MQTTWill(topic: willTopic, payload: "crashed", qos: .atLeastOnce)
        crashing.reconnect = .disabled
        let victim = MQTTClient(configuration: crashing)
        try await victim.connect()
        victim.simulateConnectionLoss()
        try await inbox.wait { $0.payloadString == "crashed" }
        await victim.disconnect()

        var polite = try broker.configuration(transport, clientID: "polite-\(transport)")
        polite.will = MQTTWill(topic: willTopic, payload: "should-not-appear", qos: .atLeastOnce)
        let leaving = MQTTClient(configuration: polite)
        try await leaving.connect()
        await leaving.disconnect()
        // Once the broker has logged the DISCONNECT, a Will would already be queued ahead of this marker.
        try await poll("broker saw the DISCONNECT") { broker.log.contains("Client polite-\(transport) disconnected") }
        try await watcher.publish(topic: willTopic, payload: "marker", qos: .atLeastOnce)
        try await inbox.wait { $0.payloadString == "marker" }
        #expect(!inbox.all.contains { $0.payloadString == "should-not-appear" })
      }
    }
  }

  @Test(
    "broker killed and restarted: same client reconnects, re-subscribes, delivery resumes",
    arguments: MosquittoBroker.Transport.allCases)
  func brokerRestart(transport: MosquittoBroker.Transport) async throws {
    try await MosquittoBroker.with { broker in
      let topic = uniqueTopic("restart")
      try await withClient(try broker.configuration(transport)) { client in
        let states = StateRecorder(client)
        let inbox = Inbox(try await client.subscribe([topic]))
        try await client.publish(topic: topic, payload: "before", qos: .atLeastOnce)
        try await inbox.wait { $0.payloadString == "before" }

        await broker.kill()
        try await poll("client notices the broker is gone") {
          if case .disconnected = client.state { return true }
          return false
        }
        await #expect(throws: MQTTError.notConnected) {
          try await client.publish(topic: topic, payload: "while-down", qos: .atLeastOnce)
        }
        try await broker.restart()
        try await poll("client reconnected") { client.state.isConnected }

        try await withClient(try broker.configuration(.tcp)) { publisher in
          try await publisher.publish(topic: topic, payload: "after", qos: .atLeastOnce)
        }
        try await inbox.wait { $0.payloadString == "after" }
        try await client.publish(topic: topic, payload: "own-after", qos: .atLeastOnce)
        try await inbox.wait { $0.payloadString == "own-after" }
        let seen = states.all
        #expect(seen.contains { if case .disconnected = $0 { true } else { false } })
        #expect(seen.last == .connected(sessionPresent: false))
      }
    }
  }

  @Test(
    "persistent session receives QoS 1 messages sent while it was away",
    arguments: MosquittoBroker.Transport.allCases)
  func persistentSession(transport: MosquittoBroker.Transport) async throws {
    try await MosquittoBroker.with { broker in
      let topic = uniqueTopic("persistent")
      var configuration = try broker.configuration(transport, clientID: "persistent-\(transport)")
      configuration.cleanSession = false
      try await withClient(configuration) { client in
        _ = try await client.subscribe([topic + "/#"], qos: .atLeastOnce)
      }
      try await withClient(try broker.configuration(.tcp)) { publisher in
        for index in 1...3 {
          try await publisher.publish(topic: "\(topic)/\(index)", payload: "queued-\(index)", qos: .atLeastOnce)
        }
      }
      let client = MQTTClient(configuration: configuration)
      // Subscribing before connect() registers the stream, so nothing the session queued is lost.
      let inbox = Inbox(try await client.subscribe([topic + "/#"], qos: .atLeastOnce))
      try await client.connect()
      #expect(client.state == .connected(sessionPresent: true))
      let messages = try await inbox.wait(for: 3)
      #expect(messages.map(\.payloadString).sorted() == ["queued-1", "queued-2", "queued-3"])
      await client.disconnect()
    }
  }
}
