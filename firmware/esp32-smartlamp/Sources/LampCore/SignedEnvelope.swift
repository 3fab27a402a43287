/// The signed command `{deviceId, action, requestId, issuedAt, expiresAt, nonce, sig}`: `sig` is the lowercase hex
/// HMAC-SHA256, keyed with the device's secret (its UTF-8 bytes), of the canonical string
/// `deviceId|action|requestId|issuedAt|expiresAt|nonce` with both times as decimal epoch milliseconds. Every text
/// field is limited to `[A-Za-z0-9._:-]`, so the `|` separators are unambiguous and no escaping is involved.
public struct SignedEnvelope: Sendable {
  public var deviceId = FixedBytes<64>()
  public var action = FixedBytes<16>()
  public var requestId = FixedBytes<64>()
  public var issuedAt: UInt64 = 0
  public var expiresAt: UInt64 = 0
  public var nonce = FixedBytes<64>()
  public var sig = FixedBytes<64>()

  public static let minNonceLength = 8

  public init() {}

  /// Parses strictly: all seven fields present exactly once with their types, unknown members ignored. Fields
  /// read before a failure stay set, so a refusal can still carry a valid `requestId`.
  public mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(Refusal) {
    do {
      try parseFields(bytes)
    } catch {
      throw .malformed
    }
  }

  private mutating func parseFields(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONError) {
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
        guard try scanner.readString(into: &deviceId) else { throw .valueTooLong }
      } else if key.equals("action") {
        bit = 2
        guard try scanner.readString(into: &action) else { throw .valueTooLong }
      } else if key.equals("requestId") {
        bit = 4
        guard try scanner.readString(into: &requestId) else { throw .valueTooLong }
      } else if key.equals("issuedAt") {
        bit = 8
        issuedAt = try scanner.readUInt()
      } else if key.equals("expiresAt") {
        bit = 16
        expiresAt = try scanner.readUInt()
      } else if key.equals("nonce") {
        bit = 32
        guard try scanner.readString(into: &nonce) else { throw .valueTooLong }
      } else if key.equals("sig") {
        bit = 64
        guard try scanner.readString(into: &sig) else { throw .valueTooLong }
      } else {
        try scanner.skipValue()
        continue
      }
      guard seen & bit == 0 else { throw .duplicateKey }
      seen |= bit
    }
    try scanner.finish()
    guard seen == 127 else { throw .wrongType }
    guard LampText.isIdentifier(deviceId, minLength: 1), LampText.isIdentifier(action, minLength: 1),
      LampText.isIdentifier(requestId, minLength: 1),
      LampText.isIdentifier(nonce, minLength: SignedEnvelope.minNonceLength)
    else { throw .wrongType }
  }

  /// True when `requestId` is fit to be echoed in a report.
  public var hasValidRequestId: Bool { LampText.isIdentifier(requestId, minLength: 1) }

  /// Appends the canonical string `deviceId|action|requestId|issuedAt|expiresAt|nonce`.
  public func writeCanonical<let capacity: Int>(into text: inout FixedBytes<capacity>) {
    text.append(deviceId)
    text.append(0x7C)
    text.append(action)
    text.append(0x7C)
    text.append(requestId)
    text.append(0x7C)
    text.appendDecimal(issuedAt)
    text.append(0x7C)
    text.appendDecimal(expiresAt)
    text.append(0x7C)
    text.append(nonce)
  }

  /// The HMAC-SHA256 of the canonical string under `secret`.
  public func expectedSignature(secret: borrowing FixedBytes<128>) -> Digest32 {
    var canonical = FixedBytes<320>()
    writeCanonical(into: &canonical)
    var mac = secret.withSpan { HMACSHA256(key: $0) }
    mac.update(canonical)
    return mac.finalize()
  }

  /// Checks `sig` against the expected MAC in constant time; a `sig` that is not 64 lowercase hex digits fails.
  public func signatureMatches(secret: borrowing FixedBytes<128>) -> Bool {
    let expected = expectedSignature(secret: secret)
    guard let given = Digest32(lowercaseHex: sig) else { return false }
    return expected.constantTimeEquals(given)
  }
}
