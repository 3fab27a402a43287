public typealias PayloadBuffer = FixedBytes<384>

/// Why a status was published.
public enum StatusReason: UInt8, Sendable, Equatable {
  case boot
  case reconnect
  case command
  case button
  case query
  case refused

  public var text: StaticString {
    switch self {
    case .boot: return "boot"
    case .reconnect: return "reconnect"
    case .command: return "command"
    case .button: return "button"
    case .query: return "query"
    case .refused: return "refused"
    }
  }

  init?<let capacity: Int>(_ text: borrowing FixedBytes<capacity>) {
    if text.equals("boot") {
      self = .boot
    } else if text.equals("reconnect") {
      self = .reconnect
    } else if text.equals("command") {
      self = .command
    } else if text.equals("button") {
      self = .button
    } else if text.equals("query") {
      self = .query
    } else if text.equals("refused") {
      self = .refused
    } else {
      return nil
    }
  }
}

/// The status payload on `home/<id>/status`:
/// `{"deviceId":"…","power":"ON"|"OFF","ts":<epoch ms>,"reason":"…","rssi":<dBm>,"requestId":"…","error":"…"}`.
/// `ts` is absent while the lamp's clock is not set, `rssi` when unknown, `requestId` when no signed command caused
/// it, `error` except in refusal reports. The reader is as strict as the server should be: unknown members are
/// ignored, a known member with a wrong type fails the whole message.
public struct StatusReport: Sendable {
  public var deviceId = FixedBytes<64>()
  public var power = false
  /// Epoch milliseconds, 0 = absent.
  public var timestampMs: UInt64 = 0
  public var reason: StatusReason? = nil
  public var rssi: Int16? = nil
  public var requestId = FixedBytes<64>()
  public var error: Refusal? = nil

  public init() {}

  public func write(into payload: inout PayloadBuffer) {
    payload.removeAll()
    payload.append("{\"deviceId\":")
    payload.appendJSONString(deviceId)
    payload.append(power ? ",\"power\":\"ON\"" : ",\"power\":\"OFF\"")
    if timestampMs != 0 {
      payload.append(",\"ts\":")
      payload.appendDecimal(timestampMs)
    }
    if let reason {
      payload.append(",\"reason\":")
      payload.appendJSONString(reason.text)
    }
    if let rssi {
      payload.append(",\"rssi\":")
      payload.appendDecimal(Int64(rssi))
    }
    if !requestId.isEmpty {
      payload.append(",\"requestId\":")
      payload.appendJSONString(requestId)
    }
    if let error {
      payload.append(",\"error\":")
      payload.appendJSONString(error.code)
    }
    payload.append("}")
  }

  /// Parses a status payload; `deviceId` and `power` are required.
  public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONError) -> StatusReport {
    var report = StatusReport()
    var scanner = JSONScanner(bytes)
    try scanner.beginObject()
    var seen: UInt8 = 0
    var first = true
    while try scanner.nextMember(first: &first) {
      var key = FixedBytes<16>()
      guard try scanner.readKey(into: &key) else {
        try scanner.skipValue()
        continue
      }
      let bit: UInt8
      if key.equals("deviceId") {
        bit = 1
        guard try scanner.readString(into: &report.deviceId) else { throw .valueTooLong }
        guard LampText.isIdentifier(report.deviceId, minLength: 1) else { throw .wrongType }
      } else if key.equals("power") {
        bit = 2
        var word = FixedBytes<3>()
        guard try scanner.readString(into: &word) else { throw .wrongType }
        if word.equals("ON") {
          report.power = true
        } else if word.equals("OFF") {
          report.power = false
        } else {
          throw .wrongType
        }
      } else if key.equals("ts") {
        bit = 4
        report.timestampMs = try scanner.readUInt()
      } else if key.equals("reason") {
        bit = 8
        var word = FixedBytes<16>()
        guard try scanner.readString(into: &word) else { throw .valueTooLong }
        report.reason = StatusReason(word)
      } else if key.equals("rssi") {
        bit = 16
        let value = try scanner.readInt()
        guard value >= -200 && value <= 0 else { throw .numberOutOfRange }
        report.rssi = Int16(value)
      } else if key.equals("requestId") {
        bit = 32
        guard try scanner.readString(into: &report.requestId) else { throw .valueTooLong }
        guard LampText.isIdentifier(report.requestId, minLength: 1) else { throw .wrongType }
      } else if key.equals("error") {
        bit = 64
        var word = FixedBytes<24>()
        guard try scanner.readString(into: &word) else { throw .valueTooLong }
        report.error = StatusReport.refusal(word) ?? .malformed
      } else {
        try scanner.skipValue()
        continue
      }
      guard seen & bit == 0 else { throw .duplicateKey }
      seen |= bit
    }
    try scanner.finish()
    guard seen & 3 == 3 else { throw .wrongType }
    return report
  }

  static func refusal<let capacity: Int>(_ code: borrowing FixedBytes<capacity>) -> Refusal? {
    let all: InlineArray<11, Refusal> = [
      .malformed, .tooLarge, .wrongDevice, .signatureRequired, .noSecret, .signatureInvalid, .expired,
      .notYetValid, .lifetimeTooLong, .replayed, .unknownAction,
    ]
    for index in 0..<all.count where code.equals(all[index].code) { return all[index] }
    return nil
  }
}
