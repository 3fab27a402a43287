/// SHA-256 (FIPS 180-4) over streamed bytes, written here because the device side has no crypto library the core
/// could call; checked against the FIPS and RFC 4231 vectors in the tests.
public struct SHA256: Sendable {
  public static let digestSize = 32
  public static let blockSize = 64

  var state: InlineArray<8, UInt32> = [
    0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
  ]
  var block = InlineArray<64, UInt8>(repeating: 0)
  var blockCount = 0
  var totalBytes: UInt64 = 0

  public init() {}

  public mutating func update(_ byte: UInt8) {
    block[blockCount] = byte
    blockCount += 1
    totalBytes &+= 1
    if blockCount == SHA256.blockSize {
      compress()
      blockCount = 0
    }
  }

  public mutating func update(_ bytes: Span<UInt8>) {
    for index in 0..<bytes.count { update(bytes[index]) }
  }

  public mutating func update<let capacity: Int>(_ bytes: borrowing FixedBytes<capacity>) {
    for index in 0..<bytes.count { update(bytes[index]) }
  }

  public mutating func update(_ text: StaticString) {
    text.withUTF8Buffer { buffer in
      for byte in buffer { update(byte) }
    }
  }

  /// Pads, finishes and returns the digest; the hasher must not be used afterwards.
  public mutating func finalize() -> Digest32 {
    let bitLength = totalBytes &* 8
    update(0x80)
    while blockCount != 56 { update(0) }
    for shift in stride(from: 56, through: 0, by: -8) {
      update(UInt8(truncatingIfNeeded: bitLength &>> UInt64(shift)))
    }
    var digest = Digest32()
    for word in 0..<8 {
      for byte in 0..<4 {
        digest.bytes[word * 4 + byte] = UInt8(truncatingIfNeeded: state[word] &>> UInt32(24 - byte * 8))
      }
    }
    return digest
  }

  public static func hash(_ bytes: Span<UInt8>) -> Digest32 {
    var hasher = SHA256()
    hasher.update(bytes)
    return hasher.finalize()
  }

  private mutating func compress() {
    var schedule = InlineArray<64, UInt32>(repeating: 0)
    for index in 0..<16 {
      schedule[index] =
        UInt32(block[index * 4]) &<< 24 | UInt32(block[index * 4 + 1]) &<< 16 | UInt32(block[index * 4 + 2]) &<< 8
        | UInt32(block[index * 4 + 3])
    }
    for index in 16..<64 {
      let w15 = schedule[index - 15]
      let w2 = schedule[index - 2]
      let s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 &>> 3)
      let s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 &>> 10)
      schedule[index] = schedule[index - 16] &+ s0 &+ schedule[index - 7] &+ s1
    }
    var a = state[0]
    var b = state[1]
    var c = state[2]
    var d = state[3]
    var e = state[4]
    var f = state[5]
    var g = state[6]
    var h = state[7]
    for index in 0..<64 {
      let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
      let choice = (e & f) ^ (~e & g)
      let t1 = h &+ s1 &+ choice &+ SHA256.roundConstant(index) &+ schedule[index]
      let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
      let majority = (a & b) ^ (a & c) ^ (b & c)
      let t2 = s0 &+ majority
      h = g
      g = f
      f = e
      e = d &+ t1
      d = c
      c = b
      b = a
      a = t1 &+ t2
    }
    state[0] &+= a
    state[1] &+= b
    state[2] &+= c
    state[3] &+= d
    state[4] &+= e
    state[5] &+= f
    state[6] &+= g
    state[7] &+= h
  }

  @inline(__always) private func rotr(_ value: UInt32, _ count: UInt32) -> UInt32 {
    (value &>> count) | (value &<< (32 - count))
  }

  private static func roundConstant(_ index: Int) -> UInt32 {
    let constants: InlineArray<64, UInt32> = [
      0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
      0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
      0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
      0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
      0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
      0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
      0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
      0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]
    return constants[index]
  }
}

/// A 32-byte digest or MAC.
public struct Digest32: Sendable {
  public var bytes = InlineArray<32, UInt8>(repeating: 0)

  public init() {}

  /// Parses exactly 64 lowercase hex digits; nil otherwise.
  public init?<let capacity: Int>(lowercaseHex text: borrowing FixedBytes<capacity>) {
    guard text.count == 64, !text.overflowed else { return nil }
    for index in 0..<32 {
      guard let high = Hex.value(text[index * 2]), let low = Hex.value(text[index * 2 + 1]) else { return nil }
      bytes[index] = high &<< 4 | low
    }
  }

  /// Compares in time independent of where the digests differ (a MAC check must not leak a matching prefix).
  public func constantTimeEquals(_ other: Digest32) -> Bool {
    var difference: UInt8 = 0
    for index in 0..<32 { difference |= bytes[index] ^ other.bytes[index] }
    return difference == 0
  }

  public func appendHex<let capacity: Int>(to text: inout FixedBytes<capacity>) {
    text.appendHex(bytes.span)
  }
}
