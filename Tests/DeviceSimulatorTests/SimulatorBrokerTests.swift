import DeviceSimulator
import Foundation
import Logging
import MQTT
import Tasmota
import TestSupport
import Testing

/// The simulator on a real Mosquitto, watched by `mosquitto_sub` (an MQTT implementation that is not ours).
@Suite(.serialized) struct SimulatorBrokerTests {
  /// Runs a simulator for `body`, collecting its events, and shuts it down afterwards.
  private func withSimulator(
    _ broker: MosquittoBroker, _ configuration: DeviceSimulatorConfiguration,
    _ body: (DeviceSimulator, Locked<[SimulatorEvent]>) async throws -> Void
  ) async throws {
    var configuration = configuration
    configuration.username = broker.username
    configuration.password = broker.password
    var logger = Logger(label: "test.simulator")
    logger.logLevel = .warning
    let simulator = try DeviceSimulator(configuration: configuration, logger: logger)
    let events = Locked<[SimulatorEvent]>([])
    let collector = Task { for await event in simulator.events { events.withLock { $0.append(event) } } }
    let runner = Task { await simulator.run() }
    do {
      try await body(simulator, events)
    } catch {
      runner.cancel()
      await runner.value
      await collector.value
      throw error
    }
    runner.cancel()
    await runner.value
    await collector.value
  }

  private func commands(_ events: Locked<[SimulatorEvent]>) -> [SimulatorCommandRecord] {
    events.withLock { $0 }.compactMap { if case .command(let record) = $0 { record } else { nil } }
  }

  @Test func lwtOnlineRetainedThenOfflineAfterAbruptLossAndBack() async throws {
    try await MosquittoBroker.with { broker in
      let observer = try await BrokerObserver(broker: broker)
      let fleet = DeviceSimulatorConfiguration.fleet(brokerURL: broker.url(.tcp), count: 2)
      try await withSimulator(broker, fleet) { simulator, _ in
        let lwt = "tele/tasmota_000001/LWT"
        try await poll("both devices announce Online") {
          observer.count(topic: lwt, payload: "Online") == 1
            && observer.count(topic: "tele/tasmota_000002/LWT", payload: "Online") == 1
        }
        let retained = try await BrokerObserver.retained(broker, filter: "tele/+/LWT")
        #expect(
          Set(retained.map { "\($0.topic) \($0.payload)" }) == [
            "tele/tasmota_000001/LWT Online", "tele/tasmota_000002/LWT Online",
          ])
        #expect(retained.allSatisfy { $0.retained })
        let discovery = try await BrokerObserver.retained(broker, filter: "tasmota/discovery/+/config")
        #expect(discovery.count == 2)
        for line in discovery {
          guard case .discovery(let config) = TasmotaMessage.parse(topic: line.topic, payload: line.payload) else {
            Issue.record("retained discovery does not parse: \(line.payload)")
            continue
          }
          #expect(config.channels == [.power])
        }

        await simulator.goOffline("tasmota_000001")
        // The Will, published by the broker because the connection ended without DISCONNECT.
        try await poll("the broker publishes the Will") { observer.count(topic: lwt, payload: "Offline") == 1 }
        // The device's own client learns of the lost connection asynchronously, possibly after the Will arrived.
        try await poll("the device knows it is offline") { !simulator.isOnline("tasmota_000001") }
        let afterLoss = try await BrokerObserver.retained(broker, filter: "tele/+/LWT")
        #expect(afterLoss.contains(BrokerObserver.Line(retained: true, topic: lwt, payload: "Offline")))
        #expect(
          afterLoss.contains(BrokerObserver.Line(retained: true, topic: "tele/tasmota_000002/LWT", payload: "Online")))

        simulator.comeBack("tasmota_000001")
        try await poll("the device announces Online again") { observer.count(topic: lwt, payload: "Online") == 2 }
        #expect(observer.count(topic: "tele/tasmota_000002/LWT", payload: "Offline") == 0)
      }
      // A graceful stop still leaves the truth behind: Offline, retained.
      let final = try await BrokerObserver.retained(broker, filter: "tele/+/LWT")
      #expect(Set(final.map(\.payload)) == ["Offline"])
      #expect(final.count == 2)
      await observer.stop()
    }
  }

  @Test func commandsAnsweredOnResultAndPower() async throws {
    try await MosquittoBroker.with { broker in
      let observer = try await BrokerObserver(broker: broker)
      let fleet = DeviceSimulatorConfiguration.fleet(brokerURL: broker.url(.tcp), count: 1, relays: 2, prefix: "lamp")
      try await withSimulator(broker, fleet) { simulator, events in
        try await poll("online") { observer.count(topic: "tele/lamp_000001/LWT", payload: "Online") == 1 }

        try await BrokerObserver.publish(broker, topic: "cmnd/lamp_000001/POWER2", payload: "ON")
        try await poll("RESULT and POWER2 replies") {
          observer.count(topic: "stat/lamp_000001/RESULT", payload: #"{"POWER2":"ON"}"#) == 1
            && observer.count(topic: "stat/lamp_000001/POWER2", payload: "ON") == 1
        }
        #expect(simulator.relays(of: "lamp_000001") == [.off, .on])

        // An empty payload is a state query: answered the same way, nothing switches.
        try await BrokerObserver.publish(broker, topic: "cmnd/lamp_000001/POWER1", payload: nil)
        try await poll("query replies") {
          observer.count(topic: "stat/lamp_000001/RESULT", payload: #"{"POWER1":"OFF"}"#) == 1
            && observer.count(topic: "stat/lamp_000001/POWER1", payload: "OFF") == 1
        }
        #expect(simulator.relays(of: "lamp_000001") == [.off, .on])

        try await BrokerObserver.publish(broker, topic: "cmnd/lamp_000001/STATUS", payload: "0")
        try await poll("STATUS replies") { !observer.lines(topic: "stat/lamp_000001/STATUS11").isEmpty }
        let sts = try #require(observer.lines(topic: "stat/lamp_000001/STATUS11").first)
        guard case .status(let status) = TasmotaMessage.parse(topic: sts.topic, payload: sts.payload) else {
          Issue.record("STATUS11 does not parse: \(sts.payload)")
          return
        }
        #expect(status.states.map(\.description) == ["POWER1=OFF", "POWER2=ON"])
        #expect(!observer.lines(topic: "stat/lamp_000001/STATUS").isEmpty)
        // The event is recorded by a collector task, which may run after the replies reached the observer.
        try await poll("three commands recorded") { commands(events).count >= 3 }
        let handled = commands(events).map(\.command)
        #expect(handled == ["POWER2 ON", "POWER1", "STATUS 0"])
      }
      await observer.stop()
    }
  }

  @Test func stateOnTeleperiod() async throws {
    try await MosquittoBroker.with { broker in
      let observer = try await BrokerObserver(broker: broker)
      var fleet = DeviceSimulatorConfiguration.fleet(
        brokerURL: broker.url(.tcp), count: 1, relays: 1, teleperiod: .milliseconds(300))
      fleet.devices[0].order = .topicFirst
      try await withSimulator(broker, fleet) { _, _ in
        // One STATE at connect, then one per teleperiod.
        try await poll("three STATE messages") { observer.lines(topic: "tasmota_000001/tele/STATE").count >= 3 }
        for line in observer.lines(topic: "tasmota_000001/tele/STATE") {
          guard case .telemetry(let state) = TasmotaMessage.parse(topic: line.topic, payload: line.payload) else {
            Issue.record("STATE does not parse: \(line.payload)")
            continue
          }
          #expect(state.order == .topicFirst)
          #expect(state.states == [TasmotaChannelState(.power, .off)])
          #expect(state.rssi != nil)
          #expect(state.uptimeSeconds != nil)
          #expect(!line.retained)
        }
      }
      await observer.stop()
    }
  }

  @Test func dropRateIsHonoured() async throws {
    try await MosquittoBroker.with { broker in
      let observer = try await BrokerObserver(broker: broker)
      let policy = FaultPolicy(latency: .milliseconds(1), dropRate: 0.5, seed: 7)
      let fleet = DeviceSimulatorConfiguration.fleet(brokerURL: broker.url(.tcp), count: 1, faults: policy)
      // The simulator's decisions for this device are reproducible: compute them here.
      var injector = FaultInjector(policy: policy, device: fleet.devices[0])
      let total = 40
      let expectedDrops = (0..<total).filter { _ in injector.shouldDrop() }.count
      #expect(expectedDrops > 5 && expectedDrops < 35)
      try await withSimulator(broker, fleet) { _, events in
        try await poll("online") { observer.count(topic: "tele/tasmota_000001/LWT", payload: "Online") == 1 }
        var client = try MQTTClientConfiguration(url: broker.url(.tcp), clientID: "drop-test")
        client.username = broker.username
        client.password = broker.password
        let commander = MQTTClient(configuration: client)
        try await commander.connect()
        for index in 0..<total {
          try await commander.publish(
            topic: "cmnd/tasmota_000001/POWER", payload: index.isMultiple(of: 2) ? "ON" : "OFF", qos: .atLeastOnce)
        }
        await commander.disconnect()
        try await poll("all commands handled") { self.commands(events).count == total }
        let records = commands(events)
        #expect(records.count { $0.dropped } == expectedDrops)
        #expect(records.allSatisfy { $0.latency == .milliseconds(1) })
        try await poll("the surviving replies arrive") {
          observer.lines(topic: "stat/tasmota_000001/POWER").count == total - expectedDrops
        }
        #expect(observer.lines(topic: "stat/tasmota_000001/RESULT").count == total - expectedDrops)
      }
      await observer.stop()
    }
  }

  @Test func hundredDevicesAtOnce() async throws {
    try await MosquittoBroker.with { broker in
      let observer = try await BrokerObserver(broker: broker)
      let fleet = DeviceSimulatorConfiguration.fleet(brokerURL: broker.url(.tcp), count: 100, prefix: "many")
      try await withSimulator(broker, fleet) { simulator, events in
        try await poll("100 devices online", timeout: .seconds(30)) {
          Set(observer.lines.filter { $0.topic.hasSuffix("/LWT") && $0.payload == "Online" }.map(\.topic)).count == 100
        }
        #expect(simulator.onlineCount == 100)
        var client = try MQTTClientConfiguration(url: broker.url(.tcp), clientID: "hundred-test")
        client.username = broker.username
        client.password = broker.password
        let commander = MQTTClient(configuration: client)
        try await commander.connect()
        for topic in simulator.deviceTopics {
          try await commander.publish(topic: "cmnd/\(topic)/POWER", payload: "ON", qos: .atLeastOnce)
        }
        await commander.disconnect()
        try await poll("100 POWER ON replies", timeout: .seconds(30)) {
          Set(
            observer.lines.filter { $0.topic.hasPrefix("stat/") && $0.topic.hasSuffix("/POWER") && $0.payload == "ON" }
              .map(\.topic)
          ).count == 100
        }
        #expect(simulator.deviceTopics.allSatisfy { simulator.relays(of: $0) == [.on] })
        #expect(commands(events).count == 100)
        let discovery = try await BrokerObserver.retained(broker, filter: "tasmota/discovery/+/config")
        #expect(Set(discovery.map(\.topic)).count == 100)
      }
      await observer.stop()
    }
  }

  @Test func badBrokerURLIsRejectedUpFront() {
    #expect(throws: MQTTError.self) {
      try DeviceSimulator(configuration: .fleet(brokerURL: "http://nowhere", count: 1))
    }
  }
}
