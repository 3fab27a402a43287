import Testing

@testable import Tasmota

@Suite struct DiscoveryTests {
  private func config(_ mac: String, _ payload: String) -> TasmotaDiscoveryConfig? {
    if case .discovery(let config) = TasmotaMessage.parse(topic: "tasmota/discovery/\(mac)/config", payload: payload) {
      return config
    }
    return nil
  }

  private func error(_ mac: String, _ payload: String) -> TasmotaParseError.Code? {
    if case .malformed(let error) = TasmotaMessage.parse(topic: "tasmota/discovery/\(mac)/config", payload: payload) {
      return error.code
    }
    return nil
  }

  @Test func realCapturedConfig() throws {
    let parsed = try #require(config(Fixtures.discoveryMAC, Fixtures.discovery))
    #expect(parsed.mac == "A4CF12857B40")
    #expect(parsed.ipAddress == "10.10.10.119")
    #expect(parsed.deviceName == "DEVICE_NAME")
    #expect(parsed.friendlyNames.count == 8)
    #expect(parsed.friendlyNames.first == "DEVICE_NAME")
    #expect(parsed.friendlyNames.dropFirst().allSatisfy { $0 == nil })
    #expect(parsed.hostname == "tasmota-857B40-7525")
    #expect(parsed.module == "LocalBytes PM")
    #expect(parsed.firmware == "12.2.0")
    #expect(parsed.topic == "tasmota_857B40")
    #expect(parsed.fullTopic == "%prefix%/%topic%/")
    #expect(parsed.prefixes == ["cmnd", "stat", "tele"])
    #expect(parsed.relayTypes == [1, 0, 0, 0, 0, 0, 0, 0])
    #expect(parsed.onlinePayload == "Online")
    #expect(parsed.offlinePayload == "Offline")
    #expect(parsed.stateTexts == ["OFF", "ON", "TOGGLE", "HOLD"])
    #expect(parsed.setOptions["4"] == 0)
    #expect(parsed.setOptions.count == 11)
    #expect(parsed.lightSubtype == 0)
    #expect(parsed.version == 1)
    #expect(parsed.channels == [.power])
    #expect(parsed.friendlyName(for: .power) == "DEVICE_NAME")
    #expect(parsed.topicOrder == .prefixFirst)
    #expect(parsed.commandTopic(for: .power) == "cmnd/tasmota_857B40/POWER")
    #expect(parsed.topic(.telemetry, "LWT") == "tele/tasmota_857B40/LWT")
  }

  @Test func sixRelaysOtherOrder() throws {
    let parsed = try #require(config(Fixtures.discoverySixMAC, Fixtures.discoverySix))
    #expect(parsed.channels.map(\.name) == ["POWER1", "POWER2", "POWER3", "POWER4", "POWER5", "POWER6"])
    #expect(parsed.friendlyName(for: TasmotaChannel(index: 3)!) == "Tasmota3")
    #expect(parsed.friendlyName(for: TasmotaChannel(index: 7)!) == nil)
    #expect(parsed.topicOrder == .topicFirst)
    #expect(parsed.commandTopic(for: TasmotaChannel(index: 2)!) == "tasmota_AB12CD/cmnd/POWER2")
  }

  @Test func fullTopicRendering() {
    var custom = TasmotaDiscoveryConfig(
      mac: "AABBCCDDEEFF", topic: "lamp", fullTopic: "home/%hostname%/%topic%/%prefix%", prefixes: ["c", "s", "t"])
    custom.hostname = "host-1"
    #expect(custom.commandTopic(for: .power) == "home/host-1/lamp/c/POWER")
    #expect(custom.topic(.status, "RESULT") == "home/host-1/lamp/s/RESULT")
    #expect(custom.topicOrder == nil)
    let byID = TasmotaDiscoveryConfig(mac: "AABBCCDDEEFF", topic: "t", fullTopic: "%prefix%/%id%/")
    #expect(byID.commandTopic(for: .power) == "cmnd/AABBCCDDEEFF/POWER")
  }

  @Test func channelsFromRelayTypes() {
    var single = TasmotaDiscoveryConfig(mac: "AABBCCDDEEFF", topic: "t", relayTypes: [0, 2, 0, 0])
    #expect(single.channels == [.power])
    single.setOptions["26"] = 1
    #expect(single.channels.map(\.name) == ["POWER2"])
    let mixed = TasmotaDiscoveryConfig(mac: "AABBCCDDEEFF", topic: "t", relayTypes: [1, 3, 3, 2])
    #expect(mixed.channels.map(\.name) == ["POWER1", "POWER4"])
    #expect(TasmotaDiscoveryConfig(mac: "AABBCCDDEEFF", topic: "t").channels.isEmpty)
  }

  @Test func removalAndRejections() {
    #expect(
      TasmotaMessage.parse(topic: "tasmota/discovery/a4cf12857b40/config", payload: "")
        == .discoveryRemoved(mac: "A4CF12857B40"))
    #expect(error("AABBCCDDEEFF", Fixtures.discovery) == .macMismatch)
    #expect(error(Fixtures.discoveryMAC, "not json") == .invalidJSON)
    #expect(error(Fixtures.discoveryMAC, "[1,2]") == .invalidJSON)
    #expect(error(Fixtures.discoveryMAC, #"{"t":"x","ft":"%prefix%/%topic%/"}"#) == .missingField)
    #expect(error(Fixtures.discoveryMAC, #"{"mac":"A4CF12857B40","ft":"%prefix%/%topic%/"}"#) == .missingField)
    #expect(error(Fixtures.discoveryMAC, #"{"mac":"A4CF12857B40","t":"x"}"#) == .missingField)
    #expect(error(Fixtures.discoveryMAC, #"{"mac":"A4CF12857B40","t":"x","ft":"%topic%","tp":["a"]}"#) == .missingField)
    #expect(error(Fixtures.discoveryMAC, #"{"mac":42,"t":"x","ft":"%topic%"}"#) == .missingField)
    // A minimal valid config and a mac with colons.
    let minimal = config(Fixtures.discoveryMAC, #"{"mac":"a4:cf:12:85:7b:40","t":"x","ft":"%prefix%/%topic%/"}"#)
    #expect(minimal?.mac == "A4CF12857B40")
    #expect(minimal?.prefixes == ["cmnd", "stat", "tele"])
    #expect(minimal?.channels == [])
  }

  @Test(arguments: ["AABBCCDDEEFF", "aa:bb:cc:dd:ee:ff", "aa-bb-cc-dd-ee-ff"])
  func macForms(text: String) {
    #expect(TasmotaDiscoveryConfig.normaliseMAC(text) == "AABBCCDDEEFF")
  }

  @Test(arguments: ["", "AABBCCDDEE", "AABBCCDDEEFFAA", "GGBBCCDDEEFF", "ＡABBCCDDEEFF"])
  func badMACs(text: String) {
    #expect(TasmotaDiscoveryConfig.normaliseMAC(text) == nil)
  }
}
