import NIOCore

/// JSON written straight into bytes, with the scalars spelled exactly as ``EnvelopeResponse/encoder`` (Foundation's
/// `JSONEncoder`, `.withoutEscapingSlashes`) spells them: strings escaped alike, integers in decimal, `null` for
/// absent values. Used for the hot answers (bootstrap), where Foundation's encoder spent about half the server's
/// CPU in generic containers and metadata lookups (docs/PERFORMANCE.md). Objects are written in the order their
/// keys are declared; Foundation's encoder on Linux writes them in hash order, which differs between processes, so
/// clients cannot rely on order either way. `JSONByteWriterTests` holds both encoders to the same bytes.
///
/// The bytes go into a `ByteBuffer`, the response body's own type: a bootstrap of 20 lamps makes about 900 small
/// appends, and `Array.append(contentsOf:)` (generic, out of line) cost 3 % of the server's CPU there (issue #10).
struct JSONByteWriter {
  /// What has been written, ready to be a response body.
  private(set) var buffer: ByteBuffer

  init(capacity: Int = 1024) {
    buffer = ByteBufferAllocator().buffer(capacity: capacity)
  }

  /// What has been written, as an array (a copy).
  var bytes: [UInt8] { Array(buffer.readableBytesView) }

  /// Appends literal JSON (punctuation and quoted keys) written by the caller.
  mutating func raw(_ text: StaticString) {
    buffer.writeStaticString(text)
  }

  mutating func null() { raw("null") }

  mutating func bool(_ value: Bool) { value ? raw("true") : raw("false") }

  mutating func int<Value: BinaryInteger>(_ value: Value) {
    if value < 0 {
      buffer.writeInteger(UInt8(ascii: "-"))
      decimal(UInt64(value.magnitude))
    } else {
      decimal(UInt64(value))
    }
  }

  mutating func string(_ value: String?) {
    guard let value else { return null() }
    buffer.writeInteger(UInt8(ascii: "\""))
    var text = value
    text.withUTF8 { utf8 in
      var start = 0
      for index in 0..<utf8.count {
        let byte = utf8[index]
        guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
        buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: utf8[start..<index])))
        escape(byte)
        start = index + 1
      }
      buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: utf8[start..<utf8.count])))
    }
    buffer.writeInteger(UInt8(ascii: "\""))
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
    case .double(let value): buffer.writeBytes(try EnvelopeResponse.encoder.encode(value))
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

  /// Digits are made right to left in a 20-byte scratch (UInt64.max has 20) and written at once.
  private mutating func decimal(_ value: UInt64) {
    var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
    withUnsafeMutableBytes(of: &scratch) { digits in
      var rest = value
      var start = 20
      repeat {
        start -= 1
        digits[start] = UInt8(ascii: "0") + UInt8(rest % 10)
        rest /= 10
      } while rest > 0
      buffer.writeBytes(UnsafeRawBufferPointer(rebasing: digits[start..<20]))
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
      buffer.writeInteger(Self.hexDigits[Int(byte >> 4)])
      buffer.writeInteger(Self.hexDigits[Int(byte & 0x0F)])
    }
  }

  private static let hexDigits = Array("0123456789abcdef".utf8)
}

/// A value the byte writer can write by itself, for ``EnvelopeResponse/success(writing:status:requestID:headers:)``.
protocol JSONBytesWritable {
  func write(to writer: inout JSONByteWriter) throws
}
