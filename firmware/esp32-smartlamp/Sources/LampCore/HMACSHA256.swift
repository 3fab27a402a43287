/// HMAC-SHA256 (RFC 2104) with a streamed message, for the signed command envelope.
public struct HMACSHA256: Sendable {
  var inner = SHA256()
  var outerKey = InlineArray<64, UInt8>(repeating: 0)

  /// `key` is used as raw bytes; keys longer than the block are hashed first, as RFC 2104 says.
  public init(key: Span<UInt8>) {
    var block = InlineArray<64, UInt8>(repeating: 0)
    if key.count > SHA256.blockSize {
      let digest = SHA256.hash(key)
      for index in 0..<32 { block[index] = digest.bytes[index] }
    } else {
      for index in 0..<key.count { block[index] = key[index] }
    }
    for index in 0..<64 {
      inner.update(block[index] ^ 0x36)
      outerKey[index] = block[index] ^ 0x5c
    }
  }

  public mutating func update(_ byte: UInt8) { inner.update(byte) }
  public mutating func update(_ bytes: Span<UInt8>) { inner.update(bytes) }
  public mutating func update<let capacity: Int>(_ bytes: borrowing FixedBytes<capacity>) { inner.update(bytes) }
  public mutating func update(_ text: StaticString) { inner.update(text) }

  public mutating func finalize() -> Digest32 {
    let innerDigest = inner.finalize()
    var outer = SHA256()
    outer.update(outerKey.span)
    outer.update(innerDigest.bytes.span)
    return outer.finalize()
  }

  public static func authenticationCode(key: Span<UInt8>, message: Span<UInt8>) -> Digest32 {
    var mac = HMACSHA256(key: key)
    mac.update(message)
    return mac.finalize()
  }
}
