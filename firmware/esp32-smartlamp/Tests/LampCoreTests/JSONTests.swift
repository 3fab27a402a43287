import LampCore
import Testing

/// The strict bounded JSON reader and the status writer.
@Suite struct JSONTests {
  func parseStatus(_ text: String) -> Result<StatusReport, JSONError> {
    Array(text.utf8).withUnsafeBufferPointer { bytes in
      do throws(JSONError) {
        return .success(try StatusReport.parse(bytes))
      } catch {
        return .failure(error)
      }
    }
  }

  func envelopeRefusal(_ text: String) -> Refusal? {
    var envelope = SignedEnvelope()
    return Array(text.utf8).withUnsafeBufferPointer { bytes in
      do throws(Refusal) {
        try envelope.parse(bytes)
        return nil
      } catch {
        return error
      }
    }
  }

  @Test func statusWriterProducesTheDocumentedShape() {
    var report = StatusReport()
    report.deviceId = FixedBytes(Array("lampu-teras".utf8).span)
    report.power = true
    report.timestampMs = 1_764_831_600_123
    report.reason = .command
    report.rssi = -61
    report.requestId = FixedBytes(Array("req-1".utf8).span)
    var payload = PayloadBuffer()
    report.write(into: &payload)
    #expect(
      payload.string
        == #"{"deviceId":"lampu-teras","power":"ON","ts":1764831600123,"reason":"command","rssi":-61,"requestId":"req-1"}"#
    )
    report.timestampMs = 0
    report.rssi = nil
    report.requestId = FixedBytes()
    report.error = .signatureInvalid
    report.reason = .refused
    report.power = false
    report.write(into: &payload)
    #expect(
      payload.string == #"{"deviceId":"lampu-teras","power":"OFF","reason":"refused","error":"SIGNATURE_INVALID"}"#)
  }

  @Test func statusRoundTripsThroughTheStrictReader() throws {
    let text = #"{"deviceId":"a.b-c","power":"OFF","ts":1764831600123,"reason":"button","rssi":-70,"x":[1,{"y":null}]}"#
    let report = try parseStatus(text).get()
    #expect(report.deviceId.string == "a.b-c")
    #expect(report.power == false)
    #expect(report.timestampMs == 1_764_831_600_123)
    #expect(report.reason == .button)
    #expect(report.rssi == -70)
  }

  @Test(arguments: [
    (#"{"deviceId":"x","power":"on"}"#, JSONError.wrongType),
    (#"{"deviceId":"x","power":true}"#, .wrongType),
    (#"{"deviceId":"x"}"#, .wrongType),
    (#"{"deviceId":"x","power":"ON","ts":"1"}"#, .wrongType),
    (#"{"deviceId":"x","power":"ON","ts":1.5}"#, .wrongType),
    (#"{"deviceId":"x","power":"ON","ts":1e3}"#, .wrongType),
    (#"{"deviceId":"x","power":"ON","ts":-1}"#, .numberOutOfRange),
    (#"{"deviceId":"x","power":"ON","ts":99999999999999999}"#, .numberOutOfRange),
    (#"{"deviceId":"x","power":"ON","ts":01}"#, .syntax),
    (#"{"deviceId":"x","power":"ON","rssi":12}"#, .numberOutOfRange),
    (#"{"deviceId":"x","power":"ON","power":"OFF"}"#, .duplicateKey),
    (#"{"deviceId":"x","power":"ON"} x"#, .syntax),
    (#"{"deviceId":"x","power":"ON",}"#, .syntax),
    (#"{"deviceId":"x" "power":"ON"}"#, .syntax),
    (#"{"deviceId":"a/b","power":"ON"}"#, .wrongType),
    (#"{"deviceId":"x","power":"ON","z":[[[[[[[[[1]]]]]]]]]}"#, .tooDeep),
    ("{\"deviceId\":\"x\u{01}\",\"power\":\"ON\"}", .syntax),
    (#"{"deviceId":"x","power":"ON","z":"\ud800"}"#, .syntax),
    (#"{"deviceId":"x","power":"ON","z":tru}"#, .syntax),
    (#"["deviceId"]"#, .syntax),
    ("", .syntax),
  ])
  func statusReaderRefuses(text: String, error: JSONError) {
    #expect(throws: error) { try parseStatus(text).get() }
  }

  @Test func escapesAreDecodedAndLongStringsRefused() throws {
    let escaped = #"{"deviceId":"\u006c\u0061mp","power":"ON","z":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}"#
    #expect(try parseStatus(escaped).get().deviceId.string == "lamp")
    let long = String(repeating: "a", count: 65)
    #expect(throws: JSONError.valueTooLong) { try parseStatus(#"{"deviceId":"\#(long)","power":"ON"}"#).get() }
  }

  @Test func writerEscapesEverythingThatCouldBreakTheStructure() {
    var payload = PayloadBuffer()
    let nasty: [UInt8] = Array("a\"b\\c\n\u{01}".utf8)
    payload.appendJSONString(nasty.span)
    #expect(payload.string == #""a\"b\\c\n\u0001""#)
  }

  @Test func envelopeParserIsStrict() {
    let good =
      #"{"deviceId":"l","action":"ON","requestId":"r","issuedAt":1,"expiresAt":2,"nonce":"nnnnnnnn","sig":"s"}"#
    #expect(envelopeRefusal(good) == nil)
    #expect(envelopeRefusal(good.replacingOccurrences(of: #""issuedAt":1"#, with: #""issuedAt":"1""#)) == .malformed)
    #expect(envelopeRefusal(good.replacingOccurrences(of: "}", with: #","nonce":"nnnnnnnn"}"#)) == .malformed)
    #expect(envelopeRefusal(good.replacingOccurrences(of: #""r""#, with: #""r r""#)) == .malformed)
    #expect(envelopeRefusal(good.replacingOccurrences(of: #""l""#, with: #""""#)) == .malformed)
    #expect(envelopeRefusal("{") == .malformed)
    #expect(envelopeRefusal("null") == .malformed)
  }

  @Test func fixedBytesNeverGrowsPastItsCapacity() {
    var small = FixedBytes<4>()
    small.append("abcdef")
    #expect(small.count == 4)
    #expect(small.overflowed)
    var number = FixedBytes<20>()
    number.appendDecimal(UInt64.max)
    #expect(number.string == "18446744073709551615")
    number.removeAll()
    number.appendDecimal(Int64(-42))
    #expect(number.string == "-42")
  }
}
