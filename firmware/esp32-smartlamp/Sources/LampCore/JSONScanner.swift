/// Why a JSON text was rejected.
public enum JSONError: Error, Sendable, Equatable {
  case syntax
  case tooDeep
  case duplicateKey
  case wrongType
  case valueTooLong
  case numberOutOfRange
}

/// A strict (RFC 8259) pull scanner over a bounded byte buffer, without allocation: callers walk an object member
/// by member and read only the value types they expect; unknown members are skipped with a nesting limit.
/// Integers are accepted only as plain digits (no fraction, no exponent) because every number in the lamp's
/// payloads is a whole count of milliseconds or dBm.
public struct JSONScanner {
  public static let maxDepth = 8
  /// The largest integer a JSON number can carry exactly (2^53 - 1); larger timestamps are refused.
  public static let maxSafeInteger: UInt64 = 9_007_199_254_740_991

  let bytes: UnsafeBufferPointer<UInt8>
  var position = 0

  public init(_ bytes: UnsafeBufferPointer<UInt8>) {
    self.bytes = bytes
  }

  var atEnd: Bool { position >= bytes.count }

  func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

  mutating func skipWhitespace() {
    while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
  }

  mutating func consume(_ byte: UInt8) -> Bool {
    skipWhitespace()
    guard peek() == byte else { return false }
    position += 1
    return true
  }

  /// Expects `{`.
  public mutating func beginObject() throws(JSONError) {
    guard consume(0x7B) else { throw .syntax }
  }

  /// Moves to the next member: returns false at the closing `}`; `first` tracks whether a comma is needed.
  public mutating func nextMember(first: inout Bool) throws(JSONError) -> Bool {
    skipWhitespace()
    if consume(0x7D) { return false }
    if !first {
      guard consume(0x2C) else { throw .syntax }
    }
    first = false
    skipWhitespace()
    return true
  }

  /// Reads a member name and its colon. Returns false (name not stored) when it is longer than the buffer, so
  /// the caller treats it as an unknown member.
  public mutating func readKey<let capacity: Int>(into key: inout FixedBytes<capacity>) throws(JSONError) -> Bool {
    skipWhitespace()
    guard peek() == 0x22 else { throw .syntax }
    let fits = try readString(into: &key)
    guard consume(0x3A) else { throw .syntax }
    return fits
  }

  /// Requires that only whitespace follows.
  public mutating func finish() throws(JSONError) {
    skipWhitespace()
    guard atEnd else { throw .syntax }
  }

  /// Reads a string value, decoding escapes to UTF-8. Returns false when it did not fit (`into` is then truncated).
  public mutating func readString<let capacity: Int>(into out: inout FixedBytes<capacity>) throws(JSONError)
    -> Bool
  {
    out.removeAll()
    skipWhitespace()
    guard peek() == 0x22 else { throw .wrongType }
    position += 1
    while true {
      guard let byte = peek() else { throw .syntax }
      position += 1
      switch byte {
      case 0x22:
        return !out.overflowed
      case 0x5C:
        try readEscape(into: &out)
      case 0x00..<0x20:
        throw .syntax
      default:
        out.append(byte)
      }
    }
  }

  private mutating func readEscape<let capacity: Int>(into out: inout FixedBytes<capacity>) throws(JSONError) {
    guard let escaped = peek() else { throw .syntax }
    position += 1
    switch escaped {
    case 0x22, 0x5C, 0x2F: out.append(escaped)
    case 0x62: out.append(0x08)
    case 0x66: out.append(0x0C)
    case 0x6E: out.append(0x0A)
    case 0x72: out.append(0x0D)
    case 0x74: out.append(0x09)
    case 0x75:
      var scalar = try readHex4()
      if scalar >= 0xD800 && scalar < 0xDC00 {
        guard consumeRaw(0x5C), consumeRaw(0x75) else { throw .syntax }
        let low = try readHex4()
        guard low >= 0xDC00 && low < 0xE000 else { throw .syntax }
        scalar = 0x10000 + ((scalar - 0xD800) &<< 10) + (low - 0xDC00)
      } else if scalar >= 0xDC00 && scalar < 0xE000 {
        throw .syntax
      }
      appendUTF8(scalar, to: &out)
    default:
      throw .syntax
    }
  }

  private mutating func consumeRaw(_ byte: UInt8) -> Bool {
    guard peek() == byte else { return false }
    position += 1
    return true
  }

  private mutating func readHex4() throws(JSONError) -> UInt32 {
    var value: UInt32 = 0
    for _ in 0..<4 {
      guard let byte = peek() else { throw .syntax }
      position += 1
      let digit: UInt32
      switch byte {
      case 0x30...0x39: digit = UInt32(byte - 0x30)
      case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
      case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
      default: throw .syntax
      }
      value = value &<< 4 | digit
    }
    return value
  }

  private func appendUTF8<let capacity: Int>(_ scalar: UInt32, to out: inout FixedBytes<capacity>) {
    switch scalar {
    case 0..<0x80:
      out.append(UInt8(scalar))
    case 0x80..<0x800:
      out.append(UInt8(0xC0 | scalar &>> 6))
      out.append(UInt8(0x80 | scalar & 0x3F))
    case 0x800..<0x10000:
      out.append(UInt8(0xE0 | scalar &>> 12))
      out.append(UInt8(0x80 | scalar &>> 6 & 0x3F))
      out.append(UInt8(0x80 | scalar & 0x3F))
    default:
      out.append(UInt8(0xF0 | scalar &>> 18))
      out.append(UInt8(0x80 | scalar &>> 12 & 0x3F))
      out.append(UInt8(0x80 | scalar &>> 6 & 0x3F))
      out.append(UInt8(0x80 | scalar & 0x3F))
    }
  }

  /// Reads a non-negative integer of at most 2^53 - 1 written as plain digits.
  public mutating func readUInt() throws(JSONError) -> UInt64 {
    skipWhitespace()
    guard let first = peek() else { throw .syntax }
    guard first >= 0x30 && first <= 0x39 else { throw first == 0x2D ? .numberOutOfRange : .wrongType }
    var value: UInt64 = 0
    var digits = 0
    while let byte = peek(), byte >= 0x30 && byte <= 0x39 {
      position += 1
      digits += 1
      guard digits <= 16 else { throw .numberOutOfRange }
      value = value * 10 + UInt64(byte - 0x30)
    }
    if first == 0x30 && digits > 1 { throw .syntax }
    if let byte = peek(), byte == 0x2E || byte == 0x65 || byte == 0x45 { throw .wrongType }
    guard value <= JSONScanner.maxSafeInteger else { throw .numberOutOfRange }
    return value
  }

  /// Reads an integer that may be negative, within ±2^53.
  public mutating func readInt() throws(JSONError) -> Int64 {
    skipWhitespace()
    if consumeRaw(0x2D) {
      guard let next = peek(), next >= 0x30 && next <= 0x39 else { throw .syntax }
      return -Int64(try readUInt())
    }
    return Int64(try readUInt())
  }

  /// Skips any JSON value (used for members the lamp does not know).
  public mutating func skipValue(depth: Int = 0) throws(JSONError) {
    guard depth < JSONScanner.maxDepth else { throw .tooDeep }
    skipWhitespace()
    guard let byte = peek() else { throw .syntax }
    switch byte {
    case 0x22:
      var scratch = FixedBytes<0>()
      _ = try readString(into: &scratch)
    case 0x7B:
      position += 1
      var first = true
      while try nextMember(first: &first) {
        var scratch = FixedBytes<0>()
        _ = try readKey(into: &scratch)
        try skipValue(depth: depth + 1)
      }
    case 0x5B:
      position += 1
      skipWhitespace()
      if consume(0x5D) { return }
      repeat {
        try skipValue(depth: depth + 1)
      } while consume(0x2C)
      guard consume(0x5D) else { throw .syntax }
    case 0x74: try literal("true")
    case 0x66: try literal("false")
    case 0x6E: try literal("null")
    case 0x2D, 0x30...0x39: try skipNumber()
    default: throw .syntax
    }
  }

  private mutating func literal(_ text: StaticString) throws(JSONError) {
    let matched = text.withUTF8Buffer { expected -> Bool in
      guard bytes.count - position >= expected.count else { return false }
      for index in 0..<expected.count where bytes[position + index] != expected[index] { return false }
      return true
    }
    guard matched else { throw .syntax }
    position += text.utf8CodeUnitCount
  }

  private mutating func skipNumber() throws(JSONError) {
    _ = consumeRaw(0x2D)
    guard let first = peek(), first >= 0x30 && first <= 0x39 else { throw .syntax }
    if consumeRaw(0x30) {
      if let next = peek(), next >= 0x30 && next <= 0x39 { throw .syntax }
    } else {
      try skipDigits()
    }
    if consumeRaw(0x2E) { try skipDigits() }
    if let byte = peek(), byte == 0x65 || byte == 0x45 {
      position += 1
      if let sign = peek(), sign == 0x2B || sign == 0x2D { position += 1 }
      try skipDigits()
    }
  }

  private mutating func skipDigits() throws(JSONError) {
    var any = false
    while let byte = peek(), byte >= 0x30 && byte <= 0x39 {
      position += 1
      any = true
    }
    guard any else { throw .syntax }
  }
}
