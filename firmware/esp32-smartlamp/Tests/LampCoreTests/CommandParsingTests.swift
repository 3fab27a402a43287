import LampCore
import Testing

/// Topic classification and plain (Tasmota) payloads.
@Suite struct CommandParsingTests {
  let id = FixedBytes<64>(Array("lampu-teras".utf8).span)

  func classify(_ topic: String) -> CommandTopic? {
    LampTopics.classify(Array(topic.utf8).span, deviceId: id)
  }

  @Test func ownCommandTopicsInBothOrders() {
    #expect(classify("cmnd/lampu-teras/POWER") == .power)
    #expect(classify("cmnd/lampu-teras/Power") == .power)
    #expect(classify("cmnd/lampu-teras/power") == .power)
    #expect(classify("lampu-teras/cmnd/POWER") == .powerReversed)
    #expect(classify("home/lampu-teras/cmd") == .envelope)
  }

  @Test(arguments: [
    "cmnd/lampu-dapur/POWER", "cmnd/lampu-teras2/POWER", "cmnd/lampu-tera/POWER", "cmnd/LAMPU-TERAS/POWER",
    "lampu-dapur/cmnd/POWER", "home/lampu-dapur/cmd", "cmnd/lampu-teras/POWER1", "cmnd/lampu-teras/STATE",
    "cmnd/lampu-teras/POWER/x", "cmnd/lampu-teras", "stat/lampu-teras/POWER", "home/lampu-teras/status",
    "cmnd//POWER", "", "/cmnd/lampu-teras/POWER",
  ])
  func foreignOrOtherTopicsAreNotOurs(topic: String) {
    #expect(classify(topic) == nil)
  }

  @Test func overlongTopicIsNotOurs() {
    #expect(classify("cmnd/" + String(repeating: "x", count: 200) + "/POWER") == nil)
  }

  @Test(arguments: [
    ("ON", PowerAction.on), ("on", .on), (" On\n", .on), ("1", .on), ("true", .on),
    ("OFF", .off), ("off", .off), ("0", .off), ("FALSE", .off),
    ("TOGGLE", .toggle), ("toggle", .toggle), ("2", .toggle),
    ("", .query), ("?", .query), ("  ", .query),
  ])
  func plainPayloads(text: String, action: PowerAction) {
    #expect(PowerAction(plain: Array(text.utf8).span) == action)
  }

  @Test(arguments: ["BLINK", "3", "ONN", "O N", "onoffon", "{}", "\"ON\""])
  func unknownPlainPayloads(text: String) {
    #expect(PowerAction(plain: Array(text.utf8).span) == nil)
  }

  @Test func subscriptionsAndPublishTopics() {
    let subscriptions = (0..<LampTopics.subscriptionCount).compactMap { LampTopics.subscription($0, id)?.string }
    #expect(subscriptions == ["cmnd/lampu-teras/+", "lampu-teras/cmnd/+", "home/lampu-teras/cmd"])
    #expect(LampTopics.status(id).string == "home/lampu-teras/status")
    #expect(LampTopics.availability(id).string == "home/lampu-teras/lwt")
    #expect(LampTopics.statPower(id).string == "stat/lampu-teras/POWER")
    #expect(LampTopics.statResult(id).string == "stat/lampu-teras/RESULT")
  }

  @Test func configValidation() {
    var config = LampConfig(deviceId: Array("ok-id_1.2:3".utf8).span, secret: Array("s".utf8).span)
    #expect(throws: Never.self) { try config.validate() }
    config.deviceId = FixedBytes(Array("bad/id".utf8).span)
    #expect(throws: LampConfigError.deviceIdInvalid) { try config.validate() }
    config.deviceId = FixedBytes(Array("bad+id".utf8).span)
    #expect(throws: LampConfigError.deviceIdInvalid) { try config.validate() }
    config.deviceId = FixedBytes(Array(String(repeating: "a", count: 65).utf8).span)
    #expect(throws: LampConfigError.deviceIdInvalid) { try config.validate() }
    config.deviceId = FixedBytes(Array("ok".utf8).span)
    config.secret = FixedBytes(Array(String(repeating: "s", count: 129).utf8).span)
    #expect(throws: LampConfigError.secretTooLong) { try config.validate() }
    config.secret = FixedBytes()
    config.reconnectMaxMs = 10
    #expect(throws: LampConfigError.timingInvalid) { try config.validate() }
    #expect(RestorePolicy(Array("LAST".utf8).span) == .last)
    #expect(RestorePolicy(Array("on".utf8).span) == .on)
    #expect(RestorePolicy(Array("maybe".utf8).span) == nil)
  }
}
