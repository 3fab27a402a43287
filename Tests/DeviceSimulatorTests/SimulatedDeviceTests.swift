import DeviceSimulator
import Tasmota
import Testing

@Suite struct SimulatedDeviceTests {
  private func device(relays: Int = 1, order: TasmotaTopicOrder = .prefixFirst) -> SimulatedDevice {
    var configuration = SimulatedDeviceConfiguration(index: 7, prefix: "lamp", relays: relays)
    configuration.order = order
    return SimulatedDevice(configuration: configuration)
  }

  private func send(_ device: inout SimulatedDevice, _ suffix: String, _ payload: String = "") -> SimulatorReply {
    device.handle(
      topic: device.configuration.topic(.command, suffix), payload: Array(payload.utf8), uptimeSeconds: 42,
      time: "2026-11-22T18:00:00")
  }

  private func texts(_ reply: SimulatorReply) -> [String] { reply.messages.map { "\($0.topic) \($0.payload)" } }

  @Test func fleetIdentities() {
    let first = SimulatedDeviceConfiguration(index: 1)
    #expect(first.topic == "tasmota_000001")
    #expect(first.mac.count == 12)
    #expect(TasmotaDiscoveryConfig.normaliseMAC(first.mac) == first.mac)
    #expect(first.clientID == "DVES_\(first.mac)")
    let ids = Set((1...2000).map { SimulatedDeviceConfiguration(index: $0).clientID })
    #expect(ids.count == 2000)
    #expect(SimulatedDeviceConfiguration(index: 1, prefix: "other").mac != first.mac)
    #expect(SimulatedDeviceConfiguration(index: 1, relays: 99).relays == 32)
    #expect(SimulatedDeviceConfiguration(index: 1, relays: 0).relays == 1)
  }

  @Test func willAndOnlineAnnouncement() throws {
    let lamp = device(relays: 3)
    #expect(lamp.will == SimulatorMessage(topic: "tele/lamp_000007/LWT", payload: "Offline", retain: true))
    let online = lamp.onlineMessages()
    #expect(online.count == 2)
    #expect(online[0] == SimulatorMessage(topic: "tele/lamp_000007/LWT", payload: "Online", retain: true))
    #expect(online[1].retain)
    guard case .discovery(let config) = TasmotaMessage.parse(topic: online[1].topic, payload: online[1].payload) else {
      Issue.record("discovery config does not parse: \(online[1].payload)")
      return
    }
    #expect(config.mac == lamp.configuration.mac)
    #expect(config.topic == "lamp_000007")
    #expect(config.channels.map(\.name) == ["POWER1", "POWER2", "POWER3"])
    #expect(config.friendlyName(for: TasmotaChannel(index: 2)!) == "lamp 7 2")
    #expect(config.commandTopic(for: TasmotaChannel(index: 3)!) == "cmnd/lamp_000007/POWER3")
    #expect(config.relayTypes == [1, 1, 1, 0, 0, 0, 0, 0])
    #expect(config.onlinePayload == "Online")
    #expect(config.version == 1)
  }

  @Test func singleRelayPowerCommands() {
    var lamp = device()
    let on = send(&lamp, "POWER", "ON")
    #expect(texts(on) == [#"stat/lamp_000007/RESULT {"POWER":"ON"}"#, "stat/lamp_000007/POWER ON"])
    #expect(on.outcome == .power(action: .on, states: [TasmotaChannelState(.power, .on)]))
    #expect(on.command == "POWER ON")
    #expect(lamp.relays == [.on])
    #expect(send(&lamp, "Power", "toggle").messages.last?.payload == "OFF")
    #expect(send(&lamp, "power", "1").messages.last?.payload == "ON")
    #expect(send(&lamp, "POWER", "0").messages.last?.payload == "OFF")
    #expect(send(&lamp, "POWER", "true").messages.last?.payload == "ON")
    #expect(send(&lamp, "POWER", "2").messages.last?.payload == "OFF")
    // POWER1 addresses the same relay; the reply keeps the device's key.
    #expect(texts(send(&lamp, "POWER1", "ON")).last == "stat/lamp_000007/POWER ON")
    #expect(texts(send(&lamp, "POWER2", "ON")) == [#"stat/lamp_000007/RESULT {"Command":"Unknown"}"#])
  }

  @Test func queriesDoNotSwitch() {
    var lamp = device(relays: 2)
    _ = send(&lamp, "POWER2", "ON")
    for payload in ["", "?", "blink", "  "] {
      let reply = send(&lamp, "POWER2", payload)
      #expect(texts(reply) == [#"stat/lamp_000007/RESULT {"POWER2":"ON"}"#, "stat/lamp_000007/POWER2 ON"])
      #expect(reply.outcome == .power(action: nil, states: [TasmotaChannelState(TasmotaChannel(index: 2)!, .on)]))
    }
    #expect(lamp.relays == [.off, .on])
  }

  @Test func multiRelayCommands() {
    var lamp = device(relays: 4)
    #expect(texts(send(&lamp, "POWER", "ON")).last == "stat/lamp_000007/POWER1 ON")
    _ = send(&lamp, "power3", "TOGGLE")
    #expect(lamp.relays == [.on, .off, .on, .off])
    let all = send(&lamp, "POWER0", "OFF")
    #expect(all.messages.count == 8)
    #expect(lamp.relays == [.off, .off, .off, .off])
    #expect(texts(send(&lamp, "POWER5", "ON")) == [#"stat/lamp_000007/RESULT {"Command":"Unknown"}"#])
    #expect(send(&lamp, "POWER01", "ON").outcome == .unknown)
    #expect(send(&lamp, "POWERX", "ON").outcome == .unknown)
    #expect(lamp.relays == [.off, .off, .off, .off])
  }

  @Test func repliesParseBackWithTheTasmotaModule() {
    var lamp = device(relays: 2)
    for message in send(&lamp, "POWER2", "ON").messages {
      guard case .power(let report) = TasmotaMessage.parse(topic: message.topic, payload: message.payload) else {
        Issue.record("\(message) does not parse")
        continue
      }
      #expect(report.deviceID == "lamp_000007")
      #expect(report.state(of: TasmotaChannel(index: 2)!) == .on)
    }
  }

  @Test func otherTopicsAreIgnored() {
    var lamp = device()
    for topic in [
      "cmnd/other/POWER", "stat/lamp_000007/POWER", "lamp_000007/cmnd/POWER", "cmnd/LAMP_000007/POWER", "x",
    ] {
      let reply = lamp.handle(topic: topic, payload: Array("ON".utf8), uptimeSeconds: 0)
      #expect(reply.outcome == .ignored, "\(topic)")
      #expect(reply.messages.isEmpty)
    }
    #expect(lamp.relays == [.off])
  }

  @Test func topicFirstOrder() {
    var lamp = device(order: .topicFirst)
    #expect(lamp.commandFilter == "lamp_000007/cmnd/#")
    #expect(lamp.will.topic == "lamp_000007/tele/LWT")
    let reply = lamp.handle(topic: "lamp_000007/cmnd/POWER", payload: Array("ON".utf8), uptimeSeconds: 0)
    #expect(texts(reply) == [#"lamp_000007/stat/RESULT {"POWER":"ON"}"#, "lamp_000007/stat/POWER ON"])
    #expect(lamp.handle(topic: "cmnd/lamp_000007/POWER", payload: [], uptimeSeconds: 0).outcome == .ignored)
  }

  @Test func setOption26() {
    var configuration = SimulatedDeviceConfiguration(index: 1)
    configuration.indexSingleRelay = true
    var lamp = SimulatedDevice(configuration: configuration)
    #expect(texts(send(&lamp, "POWER", "ON")).last == "stat/tasmota_000001/POWER1 ON")
    guard
      case .discovery(let config) = TasmotaMessage.parse(
        topic: lamp.discoveryTopic, payload: lamp.discoveryPayload())
    else {
      Issue.record("discovery does not parse")
      return
    }
    #expect(config.channels.map(\.name) == ["POWER1"])
  }

  @Test func statusZero() throws {
    var lamp = device(relays: 3)
    _ = send(&lamp, "POWER1", "ON")
    _ = send(&lamp, "POWER2", "ON")
    let reply = send(&lamp, "STATUS", "0")
    #expect(reply.outcome == .status(["STATUS", "STATUS1", "STATUS2", "STATUS5", "STATUS11"]))
    var merged: [TasmotaStatus] = []
    for message in reply.messages {
      guard case .status(let status) = TasmotaMessage.parse(topic: message.topic, payload: message.payload) else {
        Issue.record("\(message) does not parse")
        continue
      }
      merged.append(status)
    }
    #expect(merged.count == 5)
    let main = try #require(merged.first)
    #expect(main.topic == "lamp_000007")
    #expect(main.friendlyNames == ["lamp 7", "lamp 7 2", "lamp 7 3"])
    #expect(main.states.map(\.description) == ["POWER1=ON", "POWER2=ON", "POWER3=OFF"])
    #expect(merged[2].firmware == lamp.configuration.firmware)
    #expect(merged[3].mac.flatMap(TasmotaDiscoveryConfig.normaliseMAC) == lamp.configuration.mac)
    #expect(merged[3].ipAddress == lamp.configuration.ipAddress)
    #expect(merged[4].states.map(\.description) == ["POWER1=ON", "POWER2=ON", "POWER3=OFF"])
    #expect(merged[4].telemetry?.uptimeSeconds == 42)
    #expect(send(&lamp, "Status", "").messages.count == 1)
    #expect(send(&lamp, "STATUS", "11").messages.map(\.topic) == ["stat/lamp_000007/STATUS11"])
    #expect(send(&lamp, "STATUS", "9").outcome == .unknown)
  }

  @Test func stateCommandAndUnknownCommands() {
    var lamp = device()
    let state = send(&lamp, "STATE")
    #expect(state.outcome == .state)
    #expect(state.messages.map(\.topic) == ["stat/lamp_000007/RESULT"])
    #expect(texts(send(&lamp, "FOO", "bar")) == [#"stat/lamp_000007/RESULT {"Command":"Unknown"}"#])
  }

  @Test func telemetryPayload() throws {
    var lamp = device(relays: 2)
    _ = send(&lamp, "POWER2", "ON")
    let message = lamp.telemetry(uptimeSeconds: 93_784, time: "2026-11-22T18:00:00")
    #expect(message.topic == "tele/lamp_000007/STATE")
    #expect(!message.retain)
    guard case .telemetry(let telemetry) = TasmotaMessage.parse(topic: message.topic, payload: message.payload) else {
      Issue.record("STATE does not parse: \(message.payload)")
      return
    }
    #expect(telemetry.states.map(\.description) == ["POWER1=OFF", "POWER2=ON"])
    #expect(telemetry.rssi == lamp.rssi)
    #expect(telemetry.signal == lamp.signal)
    #expect((40..<100).contains(lamp.rssi))
    #expect(telemetry.uptimeSeconds == 93_784)
    #expect(telemetry.time == "2026-11-22T18:00:00")
    #expect(message.payload.contains(#""Uptime":"1T02:03:04""#))
  }

  @Test func namesAreEscaped() throws {
    var configuration = SimulatedDeviceConfiguration(index: 1)
    configuration.friendlyName = "Lamp \"A\" \\ Küche\n"
    let lamp = SimulatedDevice(configuration: configuration)
    guard
      case .discovery(let config) = TasmotaMessage.parse(topic: lamp.discoveryTopic, payload: lamp.discoveryPayload())
    else {
      Issue.record("escaped discovery does not parse")
      return
    }
    #expect(config.deviceName == "Lamp \"A\" \\ Küche\n")
  }

  @Test(arguments: [
    (0, "0T00:00:00"), (59, "0T00:00:59"), (3661, "0T01:01:01"), (90_061, "1T01:01:01"), (-5, "0T00:00:00"),
  ])
  func uptimeText(seconds: Int, text: String) {
    #expect(SimulatedDevice.uptimeText(seconds) == text)
  }
}

@Suite struct FaultInjectorTests {
  @Test func extremesNeverDraw() {
    var never = FaultInjector(policy: FaultPolicy(dropRate: 0))
    var always = FaultInjector(policy: FaultPolicy(dropRate: 1))
    let decisions = (0..<1000).map { _ in (never.shouldDrop(), always.shouldDrop()) }
    #expect(decisions.allSatisfy { !$0.0 && $0.1 })
    #expect(FaultPolicy(dropRate: 7).dropRate == 1)
    #expect(FaultPolicy(dropRate: -1).dropRate == 0)
    #expect(FaultPolicy(dropRate: .nan).dropRate == 0)
    #expect(FaultPolicy(latency: .seconds(-1)).latency == .zero)
  }

  @Test(arguments: [0.1, 0.3, 0.5, 0.9])
  func rateIsHonoured(rate: Double) {
    var injector = FaultInjector(policy: FaultPolicy(dropRate: rate, seed: 99))
    let drops = (0..<20_000).filter { _ in injector.shouldDrop() }.count
    #expect(abs(Double(drops) / 20_000 - rate) < 0.02, "\(drops) drops at rate \(rate)")
  }

  @Test func reproduciblePerDevice() {
    let policy = FaultPolicy(dropRate: 0.5, seed: 1)
    let a = SimulatedDeviceConfiguration(index: 1)
    let b = SimulatedDeviceConfiguration(index: 2)
    func sequence(_ device: SimulatedDeviceConfiguration) -> [Bool] {
      var injector = FaultInjector(policy: policy, device: device)
      return (0..<64).map { _ in injector.shouldDrop() }
    }
    #expect(sequence(a) == sequence(a))
    #expect(sequence(a) != sequence(b))
  }
}
