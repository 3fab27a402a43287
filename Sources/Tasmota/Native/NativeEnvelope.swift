/// A signed command for a native lamp that has a secret (`firmware/esp32-smartlamp/README.md`, UPSTREAM §16):
/// `{deviceId, action, requestId, issuedAt, expiresAt, nonce, sig}` with `sig` = lowercase hex HMAC-SHA256 over
/// ``canonical``, keyed with the UTF-8 bytes of the device's secret. This type is the pure part: the fields, their
/// rules, the canonical string and the JSON; the HMAC itself is computed by the caller (this module has no crypto).
public struct NativeEnvelope: Sendable, Hashable {
  /// The device id in its exact case: the lamp compares it byte for byte.
  public var deviceID: String
  public var action: TasmotaPowerAction
  public var requestID: String
  /// Epoch milliseconds.
  public var issuedAt: Int64
  public var expiresAt: Int64
  public var nonce: String

  /// The lamp refuses envelopes that live longer (`LIFETIME_TOO_LONG`).
  public static let maximumLifetimeMs: Int64 = 300_000
  /// What the server gives each envelope, as the upstream server did.
  public static let defaultLifetimeMs: Int64 = 30_000
  /// Times are JSON integers the lamp reads exactly: at most 2^53 − 1.
  public static let maximumTime: Int64 = 9_007_199_254_740_991

  /// Why an envelope cannot be built from these fields.
  public enum Invalid: Error, Sendable, Hashable {
    case deviceID, requestID, nonce, times
  }

  /// Checks every field against the firmware's rules, so that an envelope built here is never `MALFORMED` there.
  public init(
    deviceID: String, action: TasmotaPowerAction, requestID: String, issuedAt: Int64, expiresAt: Int64, nonce: String
  ) throws(Invalid) {
    guard NativeIdentifier.isValid(deviceID) else { throw .deviceID }
    guard NativeIdentifier.isValid(requestID) else { throw .requestID }
    guard NativeIdentifier.isValid(nonce, lengths: NativeIdentifier.nonceLengths) else { throw .nonce }
    guard issuedAt >= 0, expiresAt > issuedAt, expiresAt <= Self.maximumTime,
      expiresAt - issuedAt <= Self.maximumLifetimeMs
    else { throw .times }
    self.deviceID = deviceID
    self.action = action
    self.requestID = requestID
    self.issuedAt = issuedAt
    self.expiresAt = expiresAt
    self.nonce = nonce
  }

  /// `deviceId|action|requestId|issuedAt|expiresAt|nonce`, times in decimal exactly as in the JSON.
  public var canonical: String {
    "\(deviceID)|\(action.rawValue)|\(requestID)|\(issuedAt)|\(expiresAt)|\(nonce)"
  }

  /// The payload to publish, members in the firmware's order. Every field is from the identifier alphabet (checked
  /// in `init`) and `signature` must be hex, so nothing needs escaping.
  public func json(signature: String) -> String {
    "{\"deviceId\":\"\(deviceID)\",\"action\":\"\(action.rawValue)\",\"requestId\":\"\(requestID)\","
      + "\"issuedAt\":\(issuedAt),\"expiresAt\":\(expiresAt),\"nonce\":\"\(nonce)\",\"sig\":\"\(signature)\"}"
  }

  /// Lowercase hex of a MAC (what `sig` holds).
  public static func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    for byte in bytes {
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: text, as: UTF8.self)
  }

  /// A received envelope: its fields and the `sig` it claims (for a lamp stand-in that checks signatures).
  /// nil when the payload is not an envelope the firmware would read (`MALFORMED`).
  public static func parse(_ payload: [UInt8]) -> (envelope: NativeEnvelope, signature: String)? {
    guard payload.count <= 512, let object = TasmotaJSON.parse(payload)?.objectValue else { return nil }
    var reader = MemberReader(object)
    let deviceID = reader.string("deviceId", required: true)
    let actionText = reader.string("action", required: true)
    let requestID = reader.string("requestId", required: true)
    let issuedAt = reader.integer("issuedAt", in: 0...Int(maximumTime))
    let expiresAt = reader.integer("expiresAt", in: 0...Int(maximumTime))
    let nonce = reader.string("nonce", required: true)
    let signature = reader.string("sig", required: true)
    guard reader.failure == nil, let deviceID, let actionText, let requestID, let issuedAt, let expiresAt, let nonce,
      let signature, let action = TasmotaPowerAction(rawValue: actionText),
      let envelope = try? NativeEnvelope(
        deviceID: deviceID, action: action, requestID: requestID, issuedAt: Int64(issuedAt),
        expiresAt: Int64(expiresAt), nonce: nonce)
    else { return nil }
    return (envelope, signature)
  }
}
