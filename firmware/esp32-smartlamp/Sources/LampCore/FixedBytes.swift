/// A byte string of at most `capacity` bytes stored inline: topics, payloads, ids and secrets live in these so the
/// lamp never allocates. Appending past the capacity drops the byte and sets `overflowed`, which callers check
/// instead of trapping.
public struct FixedBytes<let capacity: Int>: Sendable {
  @usableFromInline var storage: InlineArray<capacity, UInt8>
  public private(set) var count: Int
  /// True once an append did not fit; the content is then truncated and must not be used.
  public private(set) var overflowed: Bool

  public init() {
    storage = InlineArray(repeating: 0)
    count = 0
    overflowed = false
  }

  public init(_ text: StaticString) {
    self.init()
    append(text)
  }

  /// Copies `bytes`; `overflowed` is set when they do not fit.
  public init(_ bytes: Span<UInt8>) {
    self.init()
    append(bytes)
  }

  public var isEmpty: Bool { count == 0 }

  public subscript(index: Int) -> UInt8 {
    precondition(index >= 0 && index < count, "FixedBytes index out of range")
    return storage[index]
  }

  public mutating func removeAll() {
    count = 0
    overflowed = false
  }

  public mutating func append(_ byte: UInt8) {
    guard count < capacity else {
      overflowed = true
      return
    }
    storage[count] = byte
    count += 1
  }

  public mutating func append(_ text: StaticString) {
    text.withUTF8Buffer { buffer in
      for byte in buffer { append(byte) }
    }
  }

  public mutating func append(_ bytes: Span<UInt8>) {
    for index in 0..<bytes.count { append(bytes[index]) }
  }

  public mutating func append<let other: Int>(_ bytes: borrowing FixedBytes<other>) {
    for index in 0..<bytes.count { append(bytes.storage[index]) }
  }

  /// Appends the decimal digits of `value` (no sign, no leading zeros).
  public mutating func appendDecimal(_ value: UInt64) {
    var digits = InlineArray<20, UInt8>(repeating: 0)
    var remaining = value
    var length = 0
    repeat {
      digits[length] = UInt8(truncatingIfNeeded: remaining % 10) &+ 0x30
      remaining /= 10
      length += 1
    } while remaining > 0
    while length > 0 {
      length -= 1
      append(digits[length])
    }
  }

  public mutating func appendDecimal(_ value: Int64) {
    if value < 0 {
      append(0x2D)
      appendDecimal(UInt64(bitPattern: 0 &- value))
    } else {
      appendDecimal(UInt64(value))
    }
  }

  /// Appends two lowercase hex digits per byte.
  public mutating func appendHex(_ bytes: Span<UInt8>) {
    for index in 0..<bytes.count {
      append(Hex.digit(bytes[index] &>> 4))
      append(Hex.digit(bytes[index] & 0x0F))
    }
  }

  public func equals(_ text: StaticString) -> Bool {
    text.withUTF8Buffer { buffer in
      guard buffer.count == count else { return false }
      for index in 0..<count where buffer[index] != storage[index] { return false }
      return true
    }
  }

  public func equals<let other: Int>(_ bytes: borrowing FixedBytes<other>) -> Bool {
    guard bytes.count == count else { return false }
    for index in 0..<count where bytes.storage[index] != storage[index] { return false }
    return true
  }

  /// Calls `body` with the stored bytes as a span (the span does not outlive the call).
  public func withSpan<Result>(_ body: (Span<UInt8>) -> Result) -> Result {
    let all = storage.span
    return body(all.extracting(0..<count))
  }

  /// Calls `body` with a pointer to the stored bytes, for C callers; valid only during the call.
  public func withUnsafeBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
    withSpan { span in span.withUnsafeBufferPointer { body($0) } }
  }
}

/// Lowercase hexadecimal digits, used for signatures.
public enum Hex {
  @inlinable public static func digit(_ nibble: UInt8) -> UInt8 {
    nibble < 10 ? 0x30 &+ nibble : 0x61 &+ (nibble &- 10)
  }

  /// The value of a lowercase hex digit, or nil (uppercase is refused: signatures are defined lowercase).
  @inlinable public static func value(_ digit: UInt8) -> UInt8? {
    switch digit {
    case 0x30...0x39: return digit &- 0x30
    case 0x61...0x66: return digit &- 0x61 &+ 10
    default: return nil
    }
  }
}
