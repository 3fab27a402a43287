import Testing

@testable import Tasmota

@Suite struct TopicTests {
  @Test(arguments: [
    ("stat/lamp-a/RESULT", TasmotaPrefix.status, "lamp-a", "RESULT", TasmotaTopicOrder.prefixFirst),
    ("lamp-a/stat/RESULT", .status, "lamp-a", "RESULT", .topicFirst),
    ("tele/lamp-b/LWT", .telemetry, "lamp-b", "LWT", .prefixFirst),
    ("lamp-b/tele/LWT", .telemetry, "lamp-b", "LWT", .topicFirst),
    ("STAT/Lamp-A/power2", .status, "Lamp-A", "power2", .prefixFirst),
    ("Lamp-A/TeLe/state", .telemetry, "Lamp-A", "state", .topicFirst),
    ("cmnd/x/POWER", .command, "x", "POWER", .prefixFirst),
    ("stat/tele/STATE", .status, "tele", "STATE", .prefixFirst),
  ])
  func parsesBothOrdersCaseInsensitively(
    topic: String, prefix: TasmotaPrefix, device: String, suffix: String, order: TasmotaTopicOrder
  ) throws {
    let parsed = try #require(TasmotaTopic.parse(topic))
    #expect(parsed.prefix == prefix)
    #expect(parsed.deviceID == device)
    #expect(parsed.suffix == suffix)
    #expect(parsed.order == order)
  }

  @Test(arguments: [
    "invalid/topic", "", "/", "//", "stat//RESULT", "/stat/RESULT", "stat/x/", "stat/x/y/z", "a/b/c/d/e",
    "tasmota/x/stat/RESULT", "foo/bar/baz", "stat/+/RESULT", "stat/#/x", "stat/x/+", "stat",
  ])
  func rejectsWrongShapes(topic: String) {
    #expect(TasmotaTopic.parse(topic) == nil)
  }

  @Test func rendersBothOrders() {
    #expect(TasmotaTopic(prefix: .command, deviceID: "d", suffix: "POWER1").string == "cmnd/d/POWER1")
    #expect(
      TasmotaTopic(prefix: .status, deviceID: "d", suffix: "RESULT", order: .topicFirst).string == "d/stat/RESULT")
  }

  /// mqtt-compat item 9.
  @Test func deviceIDExtraction() {
    #expect(TasmotaTopic.deviceID(of: "stat/lamp-a/RESULT") == "lamp-a")
    #expect(TasmotaTopic.deviceID(of: "lamp-a/stat/RESULT") == "lamp-a")
    #expect(TasmotaTopic.deviceID(of: "tele/lamp-b/LWT") == "lamp-b")
    #expect(TasmotaTopic.deviceID(of: "lamp-b/tele/LWT") == "lamp-b")
    #expect(TasmotaTopic.deviceID(of: "invalid/topic") == nil)
  }

  /// mqtt-compat item 5.
  @Test func lwtSnapshotTopics() {
    #expect(TasmotaTopic.lwtTopics(deviceID: "lampu-1") == ["tele/lampu-1/LWT", "lampu-1/tele/LWT"])
    for topic in TasmotaTopic.lwtTopics(deviceID: "lampu-1") {
      #expect(TasmotaTopic.deviceID(of: topic) == "lampu-1")
    }
  }

  @Test func deviceIDsMatchIgnoringCase() {
    #expect(TasmotaTopic.sameDevice("Tasmota_ABC", "tasmota_abc"))
    #expect(!TasmotaTopic.sameDevice("lamp-1", "lamp-2"))
    #expect(TasmotaTopic.deviceKey("Lamp") == TasmotaTopic.deviceKey("LAMP"))
  }
}

@Suite struct CommandTests {
  /// mqtt-compat items 1 and 2.
  @Test func commandTopics() {
    let on = TasmotaCommand.power(deviceID: "lampu-teras", channel: .normalised("POWER"), action: .on)
    #expect(on.topic == "cmnd/lampu-teras/POWER")
    #expect(on.payload == "ON")
    let off = TasmotaCommand.power(deviceID: "lampu-teras", channel: .normalised("power2"), action: .off)
    #expect(off.topic == "cmnd/lampu-teras/POWER2")
    #expect(off.payload == "OFF")
    #expect(TasmotaCommand.topic(deviceID: "lampu-teras", channel: .normalised("POWER4")) == "cmnd/lampu-teras/POWER4")
    #expect(TasmotaCommand.topic(deviceID: "d", channel: .power, order: .topicFirst) == "d/cmnd/POWER")
  }

  @Test func queries() {
    let query = TasmotaCommand.powerQuery(deviceID: "d", channel: TasmotaChannel(index: 3)!)
    #expect(query.topic == "cmnd/d/POWER3")
    #expect(query.payload == "")
    let status = TasmotaCommand.statusQuery(deviceID: "d")
    #expect(status.topic == "cmnd/d/STATUS")
    #expect(status.payload == "0")
  }

  @Test(arguments: [
    ("on", TasmotaPowerAction.on), ("1", .on), ("TRUE", .on), (" Off ", .off), ("0", .off), ("false", .off),
    ("toggle", .toggle), ("2", .toggle),
  ])
  func actions(text: String, action: TasmotaPowerAction) {
    #expect(TasmotaPowerAction(command: text) == action)
  }

  @Test(arguments: ["", "blink", "3", "ONN", "?"])
  func nonActions(text: String) {
    #expect(TasmotaPowerAction(command: text) == nil)
  }

  @Test func expectedPower() {
    #expect(TasmotaPowerAction.on.expectedPower == .on)
    #expect(TasmotaPowerAction.off.expectedPower == .off)
    #expect(TasmotaPowerAction.toggle.expectedPower == nil)
  }

  /// mqtt-compat items 6 and 7.
  @Test func subscriptionFilters() {
    let realtime = TasmotaSubscriptions.realtime
    #expect(realtime.count == 24)
    #expect(Set(realtime).count == 24)
    for filter in ["stat/+/POWER", "stat/+/RESULT", "tele/+/STATE", "tele/+/LWT", "stat/+/POWER1", "+/stat/POWER8"] {
      #expect(realtime.contains(filter), "\(filter)")
    }
    let discovery = TasmotaSubscriptions.discovery
    #expect(discovery.count == 28)
    for suffix in ["tele/LWT", "tele/STATE", "stat/RESULT", "stat/STATUS", "stat/STATUS11", "stat/POWER1"] {
      let parts = suffix.split(separator: "/")
      #expect(discovery.contains("\(parts[0])/+/\(parts[1])"), "\(suffix)")
      #expect(discovery.contains("+/\(suffix)"), "\(suffix)")
    }
    #expect(TasmotaSubscriptions.all.contains(TasmotaSubscriptions.discoveryConfig))
  }
}
