import NIOCore

/// JSON written straight into bytes, with the scalars spelled exactly as ``EnvelopeResponse/encoder`` (Foundation's
/// `JSONEncoder`, `.withoutEscapingSlashes`) spells them: strings escaped alike, integers in decimal, `null` for
/// absent values. Used for the hot answers (bootstrap), where Foundation's encoder spent about half the server's
/// CPU in generic containers and metadata lookups (docs/PERFORMANCE.md). Objects are written in the order their
/// keys are declared; Foundation's encoder on Linux writes them in hash order, which differs between processes, so
/// clients cannot rely on order either way. `JSONByteWriterTests` holds both encoders to the same bytes.
///
/// The bytes go into memory of its own, each append one capacity check and one copy: a 20-lamp bootstrap makes
/// about 900 small appends, and both `Array.append(contentsOf:)` (out of line) and `ByteBuffer` (its storage is a
/// class with variable properties, so every write pays run-time exclusivity checks) cost several per cent of the
/// server's CPU there (issue #10 profiles).
struct JSONByteWriter {
  /// Memory that one writer owns; a copied writer copies it before writing (``reserve(_:)``).
  private final class Storage {
    let base: UnsafeMutableRawPointer
    let capacity: Int

    init(capacity: Int) {
      self.capacity = max(capacity, 16)
      base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 1)
    }

    deinit { base.deallocate() }
  }

  private var storage: Storage
  /// How many bytes have been written.
  private(set) var count = 0

  init(capacity: Int = 1024) {
    storage = Storage(capacity: capacity)
  }

  /// What has been written.
  var written: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage.base, count: count) }

  /// What has been written, as an array (a copy).
  var bytes: [UInt8] { Array(written) }

  /// What has been written, as a response body (a copy).
  var buffer: ByteBuffer { ByteBuffer(bytes: written) }

  /// Appends literal JSON (punctuation and quoted keys) written by the caller.
  mutating func raw(_ text: StaticString) {
    if text.hasPointerRepresentation {
      append(UnsafeRawPointer(text.utf8Start), text.utf8CodeUnitCount)
    } else {
      text.withUTF8Buffer { append(UnsafeRawBufferPointer($0)) }
    }
  }

  mutating func null() { raw("null") }

  mutating func bool(_ value: Bool) { value ? raw("true") : raw("false") }

  mutating func int<Value: BinaryInteger>(_ value: Value) {
    if value < 0 {
      append(byte: UInt8(ascii: "-"))
      decimal(UInt64(value.magnitude))
    } else {
      decimal(UInt64(value))
    }
  }

  mutating func string(_ value: String?) {
    guard let value else { return null() }
    openString()
    stringContent(value)
    closeString()
  }

  /// A string written in pieces without joining them first: ``openString()``, ``stringContent(_:)`` for each
  /// piece (escaped), ``closeString()``.
  mutating func openString() { append(byte: UInt8(ascii: "\"")) }

  mutating func closeString() { append(byte: UInt8(ascii: "\"")) }

  mutating func stringContent(_ value: String) {
    // Read in place when the string is contiguous UTF-8 (always, for Swift's own strings): copying it into a
    // `var` for `withUTF8` cost a retain and a release per string.
    let done: Void? = value.utf8.withContiguousStorageIfAvailable { utf8 in content(utf8) }
    if done == nil {
      var text = value
      text.withUTF8 { content($0) }
    }
  }

  private mutating func content(_ utf8: UnsafeBufferPointer<UInt8>) {
    // Most strings (ids, names, topics) need no escape: found eight bytes at a time, then copied at once.
    guard Self.needsEscape(utf8) else { return append(UnsafeRawBufferPointer(utf8)) }
    var start = 0
    for index in 0..<utf8.count {
      let byte = utf8[index]
      guard Self.needsEscape(byte) else { continue }
      append(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: utf8[start..<index])))
      escape(byte)
      start = index + 1
    }
    append(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: utf8[start..<utf8.count])))
  }

  /// A control character, a quote or a backslash: what JSON escapes (Foundation leaves `/` and non-ASCII alone).
  static func needsEscape(_ byte: UInt8) -> Bool {
    byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
  }

  /// Whether any byte needs an escape, eight at a time: a word has a byte below `n` when
  /// `(w - 0x01…01 * n) & ~w & 0x80…80` is not zero, and a byte equal to `c` when `w ^ (0x01…01 * c)` has a byte
  /// below 1 (exact for "is there one", which is all this asks).
  static func needsEscape(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
    let count = utf8.count
    var index = 0
    if let base = utf8.baseAddress {
      let raw = UnsafeRawPointer(base)
      let ones: UInt64 = 0x0101_0101_0101_0101
      let highs: UInt64 = 0x8080_8080_8080_8080
      while index + 8 <= count {
        let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let found =
          ((word &- ones &* 0x20) & ~word) | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
        if found & highs != 0 { return true }
        index += 8
      }
    }
    while index < count {
      if needsEscape(utf8[index]) { return true }
      index += 1
    }
    return false
  }

  mutating func int<Value: BinaryInteger>(_ value: Value?) {
    if let value { int(value) } else { null() }
  }

  /// Any ``JSONValue``; a double goes through Foundation so its digits (and its refusal of NaN) stay Foundation's.
  mutating func value(_ value: JSONValue) throws {
    switch value {
    case .null: null()
    case .bool(let value): bool(value)
    case .int(let value): int(value)
    case .double(let value):
      let digits = try EnvelopeResponse.encoder.encode(value)
      digits.withUnsafeBytes { append($0) }
    case .string(let value): string(value)
    case .array(let values):
      raw("[")
      for (index, element) in values.enumerated() {
        if index > 0 { raw(",") }
        try self.value(element)
      }
      raw("]")
    case .object(let members):
      raw("{")
      var first = true
      for (key, member) in members {
        if !first { raw(",") }
        first = false
        string(key)
        raw(":")
        try self.value(member)
      }
      raw("}")
    }
  }

  private mutating func append(_ source: UnsafeRawBufferPointer) {
    guard let start = source.baseAddress else { return }
    append(start, source.count)
  }

  private mutating func append(_ source: UnsafeRawPointer, _ length: Int) {
    reserve(length)
    (storage.base + count).copyMemory(from: source, byteCount: length)
    count += length
  }

  private mutating func append(byte: UInt8) {
    reserve(1)
    storage.base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
    count += 1
  }

  /// Room for `length` more bytes in memory of this writer's own: grown by doubling, and copied first when a copy
  /// of the writer shares it.
  @inline(__always)
  private mutating func reserve(_ length: Int) {
    guard count + length > storage.capacity || !isKnownUniquelyReferenced(&storage) else { return }
    grow(length)
  }

  @inline(never)
  private mutating func grow(_ length: Int) {
    let grown = Storage(capacity: max(storage.capacity * 2, count + length))
    grown.base.copyMemory(from: storage.base, byteCount: count)
    storage = grown
  }

  /// Digits are made right to left in a 24-byte scratch (UInt64.max has 20) and written at once.
  private mutating func decimal(_ value: UInt64) {
    var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
    withUnsafeMutableBytes(of: &scratch) { digits in
      var rest = value
      var start = digits.count
      repeat {
        start -= 1
        digits[start] = UInt8(ascii: "0") + UInt8(rest % 10)
        rest /= 10
      } while rest > 0
      append(UnsafeRawBufferPointer(rebasing: digits[start...]))
    }
  }

  private mutating func escape(_ byte: UInt8) {
    switch byte {
    case UInt8(ascii: "\""): raw("\\\"")
    case UInt8(ascii: "\\"): raw("\\\\")
    case 0x08: raw("\\b")
    case 0x0C: raw("\\f")
    case UInt8(ascii: "\n"): raw("\\n")
    case UInt8(ascii: "\r"): raw("\\r")
    case UInt8(ascii: "\t"): raw("\\t")
    default:
      raw("\\u00")
      append(byte: Self.hexDigits[Int(byte >> 4)])
      append(byte: Self.hexDigits[Int(byte & 0x0F)])
    }
  }

  private static let hexDigits = Array("0123456789abcdef".utf8)
}

/// A value the byte writer can write by itself, for ``EnvelopeResponse/success(writing:status:requestID:headers:)``.
protocol JSONBytesWritable {
  func write(to writer: inout JSONByteWriter) throws
}
