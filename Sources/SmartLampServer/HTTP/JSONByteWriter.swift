/// JSON written straight into bytes, with the scalars spelled exactly as ``EnvelopeResponse/encoder`` (Foundation's
/// `JSONEncoder`, `.withoutEscapingSlashes`) spells them: strings escaped alike, integers in decimal, `null` for
/// absent values. Used for the hot answers (bootstrap), where Foundation's encoder spent about half the server's
/// CPU in generic containers and metadata lookups (docs/PERFORMANCE.md). Objects are written in the order their
/// keys are declared; Foundation's encoder on Linux writes them in hash order, which differs between processes, so
/// clients cannot rely on order either way. `JSONByteWriterTests` holds both encoders to the same bytes.
struct JSONByteWriter {
  private(set) var bytes: [UInt8] = []

  init(capacity: Int = 1024) {
    bytes.reserveCapacity(capacity)
  }

  /// Appends literal JSON (punctuation and quoted keys) written by the caller.
  mutating func raw(_ text: StaticString) {
    text.withUTF8Buffer { bytes.append(contentsOf: $0) }
  }

  mutating func null() { raw("null") }

  mutating func bool(_ value: Bool) { value ? raw("true") : raw("false") }

  mutating func int<Value: BinaryInteger>(_ value: Value) {
    if value < 0 {
      bytes.append(UInt8(ascii: "-"))
      decimal(UInt64(value.magnitude))
    } else {
      decimal(UInt64(value))
    }
  }

  mutating func string(_ value: String?) {
    guard let value else { return null() }
    bytes.append(UInt8(ascii: "\""))
    var text = value
    text.withUTF8 { utf8 in
      var start = 0
      for index in 0..<utf8.count {
        let byte = utf8[index]
        guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
        escape(byte)
        start = index + 1
      }
      bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<utf8.count]))
    }
    bytes.append(UInt8(ascii: "\""))
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
    case .double(let value): bytes.append(contentsOf: try EnvelopeResponse.encoder.encode(value))
    case .string(let value): string(value)
    case .array(let values):
      bytes.append(UInt8(ascii: "["))
      for (index, element) in values.enumerated() {
        if index > 0 { bytes.append(UInt8(ascii: ",")) }
        try self.value(element)
      }
      bytes.append(UInt8(ascii: "]"))
    case .object(let members):
      bytes.append(UInt8(ascii: "{"))
      var first = true
      for (key, member) in members {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        string(key)
        bytes.append(UInt8(ascii: ":"))
        try self.value(member)
      }
      bytes.append(UInt8(ascii: "}"))
    }
  }

  private mutating func decimal(_ value: UInt64) {
    let start = bytes.count
    var rest = value
    repeat {
      bytes.append(UInt8(ascii: "0") + UInt8(rest % 10))
      rest /= 10
    } while rest > 0
    bytes[start...].reverse()
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
      bytes.append(Self.hexDigits[Int(byte >> 4)])
      bytes.append(Self.hexDigits[Int(byte & 0x0F)])
    }
  }

  private static let hexDigits = Array("0123456789abcdef".utf8)
}

/// A value the byte writer can write by itself, for ``EnvelopeResponse/success(writing:status:requestID:headers:)``.
protocol JSONBytesWritable {
  func write(to writer: inout JSONByteWriter) throws
}
