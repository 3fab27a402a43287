import Testing

@testable import Tasmota

@Suite struct MessageTests {
  /// mqtt-compat item 3 and the §9.4 examples.
  @Test func upstreamExamples() throws {
    guard case .power(let stat) = TasmotaMessage.parse(topic: "stat/tasmota_123/POWER", payload: "ON") else {
      Issue.record("stat POWER not a power report")
      return
    }
    #expect(stat.deviceID == "tasmota_123")
    #expect(stat.source == .powerTopic)
    #expect(stat.source.rawValue == "tasmota_stat_power")
    #expect(stat.power == .on)
    #expect(stat.states == [TasmotaChannelState(.power, .on)])
    #expect(stat.topicChannel == .power)

    guard case .power(let result) = TasmotaMessage.parse(topic: "tasmota_123/stat/RESULT", payload: #"{"POWER":"OFF"}"#)
    else {
      Issue.record("RESULT not a power report")
      return
    }
    #expect(result.deviceID == "tasmota_123")
    #expect(result.order == .topicFirst)
    #expect(result.source.rawValue == "tasmota_stat_result")
    #expect(result.power == .off)
    #expect(result.states == [TasmotaChannelState(.power, .off)])
    #expect(result.json == .object(["POWER": .string("OFF")]))

    guard
      case .telemetry(let state) = TasmotaMessage.parse(topic: "tele/tasmota_123/STATE", payload: #"{"POWER1":"ON"}"#)
    else {
      Issue.record("STATE not telemetry")
      return
    }
    #expect(state.deviceID == "tasmota_123")
    #expect(state.power == .on)
    #expect(state.states == [TasmotaChannelState(TasmotaChannel(index: 1)!, .on)])
  }

  /// mqtt-compat item 4.
  @Test func lwtBothOrders() {
    #expect(
      TasmotaMessage.parse(topic: "tele/tasmota_abc/LWT", payload: "Online")
        == .availability(TasmotaAvailability(deviceID: "tasmota_abc", order: .prefixFirst, text: "ONLINE")))
    let offline = TasmotaMessage.parse(topic: "tasmota_abc/tele/LWT", payload: "Offline")
    #expect(offline == .availability(TasmotaAvailability(deviceID: "tasmota_abc", order: .topicFirst, text: "OFFLINE")))
    if case .availability(let lwt) = offline { #expect(lwt.online == false) }
    if case .availability(let lwt) = TasmotaMessage.parse(topic: "tele/x/LWT", payload: " online\n") {
      #expect(lwt.online == true)
    } else {
      Issue.record("trimmed LWT not parsed")
    }
    if case .availability(let lwt) = TasmotaMessage.parse(topic: "tele/x/LWT", payload: "dead") {
      #expect(lwt.online == nil)
      #expect(lwt.text == "DEAD")
    } else {
      Issue.record("unknown LWT text not passed through")
    }
    #expect(isMalformed(TasmotaMessage.parse(topic: "tele/x/LWT", payload: ""), .emptyPayload))
  }

  /// mqtt-compat item 8, payload half: the overall power of a POWER report's payload.
  @Test(arguments: [
    ("OFF", TasmotaPower.off), (#"{"POWER1":"ON"}"#, .on), (#"{"POWER":"OFF"}"#, .off), ("1", .on), (" on ", .on),
  ])
  func powerTopicPayloads(payload: String, power: TasmotaPower) {
    guard case .power(let report) = TasmotaMessage.parse(topic: "stat/d/POWER", payload: payload) else {
      Issue.record("\(payload) not parsed")
      return
    }
    #expect(report.power == power)
  }

  @Test func powerTopicWithoutPowerKeys() {
    #expect(isMalformed(TasmotaMessage.parse(topic: "stat/d/POWER", payload: #"{"Foo":"Bar"}"#), .noPowerState))
    #expect(isMalformed(TasmotaMessage.parse(topic: "stat/d/POWER", payload: "BLINK"), .notASwitchValue))
    #expect(isMalformed(TasmotaMessage.parse(topic: "stat/d/POWER2", payload: ""), .emptyPayload))
    #expect(isMalformed(TasmotaMessage.parse(topic: "stat/d/POWER2", payload: [0xFF, 0xFE]), .invalidUTF8))
    #expect(isMalformed(TasmotaMessage.parse(topic: "stat/d/POWER", payload: "{not json"), .notASwitchValue))
  }

  @Test func indexedPowerTopicsUpTo32() throws {
    for index in 1...32 {
      let message = TasmotaMessage.parse(topic: "stat/dev/power\(index)", payload: index.isMultiple(of: 2) ? "ON" : "0")
      guard case .power(let report) = message else {
        Issue.record("POWER\(index) not parsed")
        continue
      }
      #expect(report.topicChannel?.index == index)
      #expect(
        report.states == [TasmotaChannelState(TasmotaChannel(index: index)!, index.isMultiple(of: 2) ? .on : .off)])
    }
    #expect(TasmotaMessage.parse(topic: "stat/dev/POWER33", payload: "ON") == .notForUs)
    #expect(TasmotaMessage.parse(topic: "stat/dev/POWER0", payload: "ON") == .notForUs)
    #expect(TasmotaMessage.parse(topic: "stat/dev/POWERX", payload: "ON") == .notForUs)
  }

  @Test func resultVariants() {
    guard case .power(let report) = TasmotaMessage.parse(topic: "stat/d/RESULT", payload: #"{"POWER":"0101"}"#) else {
      Issue.record("bitmask RESULT not parsed")
      return
    }
    #expect(report.states.map(\.description) == ["POWER1=OFF", "POWER2=ON", "POWER3=OFF", "POWER4=ON"])
    #expect(report.power == .off)
    #expect(report.state(of: TasmotaChannel(index: 2)!) == .on)
    // Replies to other commands, console text and broken JSON are not power reports.
    #expect(TasmotaMessage.parse(topic: "stat/d/RESULT", payload: #"{"Command":"Unknown"}"#) == .notForUs)
    #expect(TasmotaMessage.parse(topic: "stat/d/RESULT", payload: #"{"Timer1":{"Enable":1}}"#) == .notForUs)
    #expect(TasmotaMessage.parse(topic: "stat/d/RESULT", payload: "3.1.16, 1, lrstring") == .notForUs)
    #expect(TasmotaMessage.parse(topic: "stat/d/RESULT", payload: #"{"POWER":"ON""#) == .notForUs)
    #expect(TasmotaMessage.parse(topic: "stat/d/RESULT", payload: "") == .notForUs)
    #expect(TasmotaMessage.parse(topic: "stat/d/RESULT", payload: "[]") == .notForUs)
  }

  @Test func telemetryFields() throws {
    guard case .telemetry(let single) = TasmotaMessage.parse(topic: "tele/lamp/STATE", payload: Fixtures.stateSingle)
    else {
      Issue.record("STATE not parsed")
      return
    }
    #expect(single.states == [TasmotaChannelState(.power, .on)])
    #expect(single.rssi == 86)
    #expect(single.signal == -57)
    #expect(single.uptimeSeconds == 13)
    #expect(single.heap == 28)
    #expect(single.time == "2021-06-27T15:03:44+02:00")

    guard case .telemetry(let four) = TasmotaMessage.parse(topic: "lamp/tele/STATE", payload: Fixtures.stateFourRelays)
    else {
      Issue.record("four-relay STATE not parsed")
      return
    }
    #expect(four.order == .topicFirst)
    #expect(four.states.map(\.description) == ["POWER1=ON", "POWER2=OFF", "POWER3=OFF", "POWER4=ON"])
    #expect(four.uptimeSeconds == 93_784)
    #expect(four.rssi == 92)

    guard case .telemetry(let bare) = TasmotaMessage.parse(topic: "tele/lamp/STATE", payload: #"{"Time":"x"}"#) else {
      Issue.record("STATE without relays not parsed")
      return
    }
    #expect(bare.states.isEmpty)
    #expect(bare.power == nil)
    #expect(bare.rssi == nil)
    #expect(isMalformed(TasmotaMessage.parse(topic: "tele/lamp/STATE", payload: "ON"), .invalidJSON))
    #expect(isMalformed(TasmotaMessage.parse(topic: "tele/lamp/STATE", payload: ""), .emptyPayload))
    #expect(isMalformed(TasmotaMessage.parse(topic: "tele/lamp/STATE", payload: "[1]"), .invalidJSON))
  }

  @Test(
    arguments: [
      ("0T00:00:00", 0), ("1T00:00:01", 86_401), ("12T23:59:59", 1_123_199), ("0T24:00:00", nil), ("T1:2:3", nil),
      ("x", nil), ("0T00:60:00", nil), ("-1T00:00:00", nil), ("1T1:1", nil),
    ] as [(String, Int?)])
  func uptimeText(text: String, seconds: Int?) {
    #expect(TasmotaTelemetry.parseUptime(text) == seconds)
  }

  @Test(arguments: [
    "cmnd/d/POWER", "d/cmnd/POWER1", "tele/d/SENSOR", "tele/d/INFO1", "stat/d/UPGRADE", "stat/d/STATUSX",
    "stat/d/STATUS123", "home/d/status", "something/else", "tasmota/discovery/A4CF12857B40/sensors",
    "tasmota/discovery/nothex/config", "a/b/c/d",
  ])
  func notForUs(topic: String) {
    #expect(TasmotaMessage.parse(topic: topic, payload: #"{"POWER":"ON"}"#) == .notForUs)
  }

  @Test func hugePayloadsAreRejectedUnread() {
    let huge = [UInt8](repeating: UInt8(ascii: "1"), count: TasmotaMessage.maximumPayloadSize + 1)
    #expect(isMalformed(TasmotaMessage.parse(topic: "stat/d/POWER", payload: huge), .payloadTooLarge))
    #expect(isMalformed(TasmotaMessage.parse(topic: "tele/d/STATE", payload: huge), .payloadTooLarge))
    #expect(
      isMalformed(
        TasmotaMessage.parse(topic: "tasmota/discovery/\(Fixtures.discoveryMAC)/config", payload: huge),
        .payloadTooLarge))
    // Just under the limit, a valid (padded) document still parses.
    let padding = String(repeating: " ", count: TasmotaMessage.maximumPayloadSize - 20)
    guard case .power = TasmotaMessage.parse(topic: "stat/d/RESULT", payload: #"{"POWER":"ON"}"# + padding) else {
      Issue.record("padded RESULT not parsed")
      return
    }
  }

  @Test func malformedJSONPayloads() {
    let broken = [
      "{", "}", "{\"POWER\"}", "{\"POWER\":}", "{\"POWER\":\"ON\",}", "{'POWER':'ON'}", "{\"POWER\":ON}",
      "{\"POWER\":\"ON\"} trailing", "\u{0}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}",
      String(repeating: "[", count: 10_000),
      String(repeating: "{\"a\":", count: 40) + "1" + String(repeating: "}", count: 40),
    ]
    for payload in broken {
      #expect(
        isMalformed(TasmotaMessage.parse(topic: "tele/d/STATE", payload: payload), .invalidJSON),
        "\(payload.prefix(20))")
    }
  }

  private func isMalformed(_ message: TasmotaMessage, _ code: TasmotaParseError.Code) -> Bool {
    if case .malformed(let error) = message { return error.code == code }
    return false
  }
}
