import Testing

@testable import Tasmota

/// The native lamp's reports (issue #11): strict like the firmware's reader — unknown members ignored, a known
/// member of the wrong type or out of range makes the whole message malformed, nothing of it applied.
@Suite struct NativeMessageTests {
  private func parse(_ topic: String, _ payload: String) -> NativeMessage? {
    NativeMessage.parse(topic: topic, payload: payload)
  }

  private func malformed(_ topic: String, _ payload: String) -> TasmotaParseError.Code? {
    if case .malformed(let error) = parse(topic, payload) { return error.code }
    return nil
  }

  @Test func statusAsTheFirmwareWritesIt() throws {
    let payload =
      #"{"deviceId":"lampu-teras","power":"ON","ts":1764831600123,"reason":"command","rssi":-61,"requestId":"cmd-42"}"#
    guard case .status(let status) = parse("home/lampu-teras/status", payload) else {
      Issue.record("not a status")
      return
    }
    #expect(status.deviceID == "lampu-teras")
    #expect(status.power == .on)
    #expect(status.timestamp == 1_764_831_600_123)
    #expect(status.reason == "command")
    #expect(status.rssi == -61)
    #expect(status.requestID == "cmd-42")
    #expect(status.error == nil)
    #expect(!status.isRefusal)
  }

  @Test func optionalMembersMayBeAbsentAndUnknownOnesAreIgnored() throws {
    guard
      case .status(let status) = parse(
        "home/lampu-b/status", #"{"deviceId":"lampu-b","power":"OFF","reason":"boot","firmware":{"v":2},"x":[1]}"#)
    else {
      Issue.record("not a status")
      return
    }
    #expect(status.power == .off)
    #expect(status.timestamp == nil, "no ts while the lamp's clock is not set")
    #expect(status.rssi == nil && status.requestID == nil)
  }

  @Test func refusalReportIsMarkedAsSuch() throws {
    let payload =
      #"{"deviceId":"lampu-s","power":"OFF","ts":1764831600123,"reason":"refused","requestId":"forged-1","error":"SIGNATURE_INVALID"}"#
    guard case .status(let status) = parse("home/lampu-s/status", payload) else {
      Issue.record("not a status")
      return
    }
    #expect(status.isRefusal)
    #expect(status.error == "SIGNATURE_INVALID")
    #expect(status.requestID == "forged-1")
    #expect(
      malformed("home/lampu-s/status", #"{"deviceId":"lampu-s","power":"OFF","reason":"refused"}"#) == .missingField,
      "a refusal without its code is not a state report either")
  }

  @Test(arguments: [
    (#"{"deviceId":"a","power":1}"#, TasmotaParseError.Code.wrongType),
    (#"{"deviceId":"a","power":"ON","ts":"1764831600123"}"#, .wrongType),
    (#"{"deviceId":"a","power":"ON","ts":1764831600123.5}"#, .wrongType),
    (#"{"deviceId":"a","power":"ON","ts":-5}"#, .invalidValue),
    (#"{"deviceId":"a","power":"ON","rssi":"-60"}"#, .wrongType),
    (#"{"deviceId":"a","power":"ON","rssi":99999}"#, .invalidValue),
    (#"{"deviceId":"a","power":"ON","requestId":7}"#, .wrongType),
    (#"{"deviceId":"a","power":"ON","requestId":"a|b"}"#, .invalidValue),
    (#"{"deviceId":"a","power":"ON","error":true}"#, .wrongType),
    (#"{"deviceId":"a","power":"ON","reason":"<script>"}"#, .invalidValue),
    (#"{"deviceId":"a","power":"on"}"#, .invalidValue),
    (#"{"deviceId":"a","power":"TOGGLE"}"#, .invalidValue),
    (#"{"deviceId":"a"}"#, .missingField),
    (#"{"power":"ON"}"#, .missingField),
    (#"{"deviceId":"b","power":"ON"}"#, .deviceMismatch),
    (#"["ON"]"#, .invalidJSON),
    (#"{"deviceId":"a","power":"ON""#, .invalidJSON),
    ("", .emptyPayload),
  ])
  func wrongTypesAndValuesAreMalformed(payload: String, code: TasmotaParseError.Code) {
    #expect(malformed("home/a/status", payload) == code, "\(payload)")
  }

  @Test func idsAreMatchedCaseInsensitivelyButMustBeValid() {
    guard case .status(let status) = parse("home/Lampu-A/status", #"{"deviceId":"lampu-a","power":"ON"}"#) else {
      Issue.record("case variants of one id are one device")
      return
    }
    #expect(status.deviceID == "Lampu-A", "the id is kept as the topic writes it")
    #expect(malformed("home/lampu a/status", #"{"deviceId":"lampu a","power":"ON"}"#) == .invalidValue)
    #expect(malformed("home/\(String(repeating: "x", count: 65))/lwt", "ONLINE") == .invalidValue)
  }

  @Test func oversizedPayloadIsRejectedUnread() {
    let big = #"{"deviceId":"a","power":"ON","pad":""# + String(repeating: "x", count: 2000) + #""}"#
    #expect(malformed("home/a/status", big) == .payloadTooLarge)
  }

  @Test func availability() {
    #expect(parse("home/lampu-a/lwt", "ONLINE") == .availability(NativeAvailability(deviceID: "lampu-a", online: true)))
    #expect(
      parse("home/lampu-a/lwt", " offline\n") == .availability(NativeAvailability(deviceID: "lampu-a", online: false)))
    #expect(malformed("home/lampu-a/lwt", "MAYBE") == .invalidValue)
    #expect(parse("home/lampu-a/lwt", "") == .notForUs, "an empty retained lwt only clears the broker's entry")
  }

  @Test func otherTopicsAreNotNative() {
    #expect(parse("stat/lampu-a/POWER", "ON") == nil)
    #expect(parse("home/lampu-a/status/extra", "{}") == nil)
    #expect(parse("home//status", "{}") == nil)
    #expect(parse("HOME/lampu-a/status", "{}") == nil)
    #expect(parse("home/lampu-a/temperature", "21") == nil)
    #expect(parse("home/lampu-a/cmd", "{}") == .notForUs, "our own envelopes on the upstream command topic")
    #expect(NativeSubscriptions.all == ["home/+/status", "home/+/lwt"])
  }

  @Test func envelopeRulesFollowTheFirmware() throws {
    let envelope = try NativeEnvelope(
      deviceID: "lampu-teras", action: .on, requestID: "req-0001", issuedAt: 1_764_831_599_000,
      expiresAt: 1_764_831_629_000, nonce: "nonce-0001-aaaa")
    #expect(envelope.canonical == "lampu-teras|ON|req-0001|1764831599000|1764831629000|nonce-0001-aaaa")
    let json = envelope.json(signature: String(repeating: "ab", count: 32))
    let parsed = try #require(NativeEnvelope.parse(Array(json.utf8)))
    #expect(parsed.envelope == envelope)
    #expect(parsed.signature == String(repeating: "ab", count: 32))
    #expect(throws: NativeEnvelope.Invalid.requestID) {
      try NativeEnvelope(deviceID: "a", action: .on, requestID: "req|1", issuedAt: 1, expiresAt: 2, nonce: "12345678")
    }
    #expect(throws: NativeEnvelope.Invalid.nonce) {
      try NativeEnvelope(deviceID: "a", action: .on, requestID: "r", issuedAt: 1, expiresAt: 2, nonce: "short")
    }
    #expect(throws: NativeEnvelope.Invalid.times) {
      try NativeEnvelope(deviceID: "a", action: .on, requestID: "r", issuedAt: 0, expiresAt: 300_001, nonce: "12345678")
    }
    #expect(throws: NativeEnvelope.Invalid.deviceID) {
      try NativeEnvelope(
        deviceID: "lampu teras", action: .on, requestID: "r", issuedAt: 1, expiresAt: 2, nonce: "12345678")
    }
    #expect(NativeEnvelope.hex([0x00, 0x0f, 0xa5, 0xff]) == "000fa5ff")
  }
}
