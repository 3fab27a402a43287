/// One message on a native lamp topic, classified. ``parse(topic:payload:)`` never throws and never traps.
///
/// Strict like the firmware's own reader: unknown members are ignored, a known member of the wrong type (or out of
/// its range) makes the whole message ``malformed(_:)`` and nothing of it is applied.
public enum NativeMessage: Sendable, Hashable {
  /// `home/<id>/status`: a state report, or a refusal report when it carries `error`.
  case status(NativeStatus)
  /// `home/<id>/lwt`.
  case availability(NativeAvailability)
  /// Our own `home/<id>/cmd` traffic, or an empty retained lwt (a broker entry being cleared).
  case notForUs
  case malformed(TasmotaParseError)

  /// The firmware refuses payloads over 512 bytes and writes at most 384; twice that is ample.
  public static let maximumPayloadSize = 1024

  /// nil when `topic` is not a native topic at all (the caller then tries the Tasmota grammar).
  public static func parse(topic: String, payload: [UInt8]) -> NativeMessage? {
    guard let parsed = NativeTopic.parse(topic) else { return nil }
    if parsed.kind == .cmd { return .notForUs }
    guard NativeIdentifier.isValid(parsed.deviceID) else {
      return .malformed(TasmotaParseError(.invalidValue, "device id in the topic is not 1–64 of A-Z a-z 0-9 . _ : -"))
    }
    guard payload.count <= maximumPayloadSize else {
      return .malformed(TasmotaParseError(.payloadTooLarge, "payload of \(payload.count) bytes"))
    }
    switch parsed.kind {
    case .status: return parseStatus(deviceID: parsed.deviceID, payload: payload)
    case .lwt: return parseLWT(deviceID: parsed.deviceID, payload: payload)
    case .cmd: return .notForUs
    }
  }

  public static func parse(topic: String, payload: String) -> NativeMessage? {
    parse(topic: topic, payload: Array(payload.utf8))
  }

  private static func parseLWT(deviceID: String, payload: [UInt8]) -> NativeMessage {
    guard let text = String(validating: payload, as: UTF8.self) else {
      return .malformed(TasmotaParseError(.invalidUTF8, "lwt payload is not UTF-8"))
    }
    switch text.trimmingASCIIWhitespace().uppercased() {
    case "": return .notForUs
    case "ONLINE": return .availability(NativeAvailability(deviceID: deviceID, online: true))
    case "OFFLINE": return .availability(NativeAvailability(deviceID: deviceID, online: false))
    default: return .malformed(TasmotaParseError(.invalidValue, "lwt is neither ONLINE nor OFFLINE"))
    }
  }

  private static func parseStatus(deviceID: String, payload: [UInt8]) -> NativeMessage {
    guard !payload.isEmpty else { return .malformed(TasmotaParseError(.emptyPayload, "status without a payload")) }
    guard let object = TasmotaJSON.parse(payload)?.objectValue else {
      return .malformed(TasmotaParseError(.invalidJSON, "status is not a JSON object"))
    }
    var reader = MemberReader(object)
    let reported = reader.identifier("deviceId", required: true)
    let powerText = reader.string("power", required: true)
    let timestamp = reader.integer("ts", in: 0...9_007_199_254_740_991)
    let reason = reader.code("reason", lengths: 1...32)
    let rssi = reader.integer("rssi", in: -32768...32767)
    let requestID = reader.identifier("requestId")
    let error = reader.code("error", lengths: 1...32)
    if let failure = reader.failure { return .malformed(failure) }
    guard let reported, let powerText else { return .malformed(TasmotaParseError(.missingField, "status")) }
    guard TasmotaTopic.sameDevice(reported, deviceID) else {
      return .malformed(TasmotaParseError(.deviceMismatch, "deviceId differs from the topic's id"))
    }
    let power: TasmotaPower
    switch powerText {
    case "ON": power = .on
    case "OFF": power = .off
    default: return .malformed(TasmotaParseError(.invalidValue, "power is neither \"ON\" nor \"OFF\""))
    }
    if reason == "refused" && error == nil {
      return .malformed(TasmotaParseError(.missingField, "a refusal report without error"))
    }
    return .status(
      NativeStatus(
        deviceID: deviceID, power: power, timestamp: timestamp.map(Int64.init), reason: reason, rssi: rssi,
        requestID: requestID, error: error))
  }
}

/// A native lamp's status report (`home/<id>/status`).
public struct NativeStatus: Sendable, Hashable {
  /// The id as written in the topic.
  public var deviceID: String
  public var power: TasmotaPower
  /// Epoch milliseconds of the lamp's clock; nil while its clock is not set.
  public var timestamp: Int64?
  /// `boot`, `reconnect`, `command`, `button`, `query`, `refused` (others are kept as sent).
  public var reason: String?
  /// Wi-Fi signal in dBm.
  public var rssi: Int?
  /// The signed envelope's request id that caused this state (or that was refused).
  public var requestID: String?
  /// The refusal code (`SIGNATURE_INVALID`, `EXPIRED`, …): present only on refusal reports.
  public var error: String?

  public init(
    deviceID: String, power: TasmotaPower, timestamp: Int64? = nil, reason: String? = nil, rssi: Int? = nil,
    requestID: String? = nil, error: String? = nil
  ) {
    self.deviceID = deviceID
    self.power = power
    self.timestamp = timestamp
    self.reason = reason
    self.rssi = rssi
    self.requestID = requestID
    self.error = error
  }

  /// A refusal report is never an acknowledgement and never the lamp's new state: the lamp did not switch.
  public var isRefusal: Bool { error != nil }
}

/// A native lamp's availability (`home/<id>/lwt`).
public struct NativeAvailability: Sendable, Hashable {
  public var deviceID: String
  public var online: Bool

  public init(deviceID: String, online: Bool) {
    self.deviceID = deviceID
    self.online = online
  }

  /// The text the realtime `lwt` event carries, as upstream upper-cased it.
  public var text: String { online ? "ONLINE" : "OFFLINE" }
}

/// Reads known members of a JSON object, remembering the first one that is present but unusable.
struct MemberReader {
  let object: [String: TasmotaJSON]
  private(set) var failure: TasmotaParseError?

  init(_ object: [String: TasmotaJSON]) { self.object = object }

  private mutating func fail(_ code: TasmotaParseError.Code, _ reason: String) {
    if failure == nil { failure = TasmotaParseError(code, reason) }
  }

  /// A string member; `null` counts as absent only for optional members.
  mutating func string(_ key: String, required: Bool = false) -> String? {
    switch object[key] {
    case .none, .some(.null):
      if required { fail(.missingField, "\(key) is required") }
      return nil
    case .some(.string(let text)): return text
    case .some: fail(.wrongType, "\(key) must be a string"); return nil
    }
  }

  /// A string in the firmware's identifier alphabet (device and request ids).
  mutating func identifier(_ key: String, required: Bool = false) -> String? {
    guard let text = string(key, required: required) else { return nil }
    guard NativeIdentifier.isValid(text) else {
      fail(.invalidValue, "\(key) is not 1–64 of A-Z a-z 0-9 . _ : -")
      return nil
    }
    return text
  }

  /// A short code: letters, digits and `_` (reasons, error codes).
  mutating func code(_ key: String, lengths: ClosedRange<Int>) -> String? {
    guard let text = string(key) else { return nil }
    let valid =
      lengths.contains(text.utf8.count)
      && text.utf8.allSatisfy { byte in
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
          || byte == 0x5F
      }
    guard valid else {
      fail(.invalidValue, "\(key) is not a code of letters, digits and _")
      return nil
    }
    return text
  }

  /// A whole number in `range` (a fraction, an exponent that leaves a fraction, or a string is a wrong type).
  mutating func integer(_ key: String, in range: ClosedRange<Int>) -> Int? {
    switch object[key] {
    case .none, .some(.null): return nil
    case .some(let value):
      guard let number = value.intValue else { fail(.wrongType, "\(key) must be an integer"); return nil }
      guard range.contains(number) else { fail(.invalidValue, "\(key) is out of range"); return nil }
      return number
    }
  }
}
