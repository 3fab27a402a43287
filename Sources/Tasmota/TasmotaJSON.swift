/// A JSON value as Tasmota sends it, read by a small bounded parser of our own.
///
/// Why not `JSONSerialization`: on Linux it cannot tell `true` from `1` reliably, it is slow for the tiny payloads we
/// parse by the thousand, and it has no nesting bound. This reader accepts RFC 8259 JSON, rejects anything else, and
/// never recurses deeper than ``maximumDepth``.
public enum TasmotaJSON: Sendable, Hashable {
  case object([String: TasmotaJSON])
  case array([TasmotaJSON])
  case string(String)
  case number(Double)
  case bool(Bool)
  case null

  /// Deeper documents are rejected; real Tasmota payloads nest three or four levels.
  public static let maximumDepth = 32

  /// Parses a complete JSON document; nil when the bytes are not exactly one valid JSON value.
  public static func parse(_ bytes: [UInt8]) -> TasmotaJSON? {
    bytes.withUnsafeBufferPointer { buffer in
      var reader = JSONReader(bytes: buffer)
      guard let value = reader.readDocument() else { return nil }
      return value
    }
  }

  /// Parses a complete JSON document from text.
  public static func parse(_ text: String) -> TasmotaJSON? {
    parse(Array(text.utf8))
  }

  public subscript(key: String) -> TasmotaJSON? {
    if case .object(let members) = self { return members[key] }
    return nil
  }

  public var objectValue: [String: TasmotaJSON]? {
    if case .object(let members) = self { return members }
    return nil
  }

  public var arrayValue: [TasmotaJSON]? {
    if case .array(let items) = self { return items }
    return nil
  }

  public var stringValue: String? {
    if case .string(let text) = self { return text }
    return nil
  }

  public var doubleValue: Double? {
    if case .number(let number) = self { return number }
    return nil
  }

  /// The value as an integer when it is a finite whole number inside `Int`'s range.
  public var intValue: Int? {
    guard case .number(let number) = self, number.isFinite, number == number.rounded(),
      abs(number) < 9.0e15
    else { return nil }
    return Int(number)
  }

  public var isNull: Bool {
    if case .null = self { return true }
    return false
  }

  /// Looks a key up ignoring ASCII case, as Tasmota keys (`Wifi`, `WIFI`) vary between firmware versions.
  public func member(caseInsensitive key: String) -> TasmotaJSON? {
    guard case .object(let members) = self else { return nil }
    if let exact = members[key] { return exact }
    let wanted = key.uppercased()
    return members.first { $0.key.uppercased() == wanted }?.value
  }
}

/// Recursive-descent reader over UTF-8 bytes. Every path returns nil on bad input; nothing traps.
struct JSONReader {
  let bytes: UnsafeBufferPointer<UInt8>
  var index = 0
  var depth = 0

  init(bytes: UnsafeBufferPointer<UInt8>) {
    self.bytes = bytes
  }

  mutating func readDocument() -> TasmotaJSON? {
    skipWhitespace()
    guard let value = readValue() else { return nil }
    skipWhitespace()
    return index == bytes.count ? value : nil
  }

  private mutating func skipWhitespace() {
    while index < bytes.count {
      switch bytes[index] {
      case 0x20, 0x09, 0x0A, 0x0D: index += 1
      default: return
      }
    }
  }

  private mutating func readValue() -> TasmotaJSON? {
    guard index < bytes.count else { return nil }
    switch bytes[index] {
    case UInt8(ascii: "{"): return readObject()
    case UInt8(ascii: "["): return readArray()
    case UInt8(ascii: "\""): return readString().map(TasmotaJSON.string)
    case UInt8(ascii: "t"): return readLiteral("true", .bool(true))
    case UInt8(ascii: "f"): return readLiteral("false", .bool(false))
    case UInt8(ascii: "n"): return readLiteral("null", .null)
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return readNumber()
    default: return nil
    }
  }

  private mutating func readLiteral(_ word: String, _ value: TasmotaJSON) -> TasmotaJSON? {
    var position = index
    for byte in word.utf8 {
      guard position < bytes.count, bytes[position] == byte else { return nil }
      position += 1
    }
    index = position
    return value
  }

  private mutating func readObject() -> TasmotaJSON? {
    guard depth < TasmotaJSON.maximumDepth else { return nil }
    depth += 1
    defer { depth -= 1 }
    index += 1
    var members: [String: TasmotaJSON] = [:]
    skipWhitespace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
      index += 1
      return .object(members)
    }
    while true {
      skipWhitespace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let key = readString() else { return nil }
      skipWhitespace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
      index += 1
      skipWhitespace()
      guard let value = readValue() else { return nil }
      members[key] = value
      skipWhitespace()
      guard index < bytes.count else { return nil }
      if bytes[index] == UInt8(ascii: ",") {
        index += 1
      } else if bytes[index] == UInt8(ascii: "}") {
        index += 1
        return .object(members)
      } else {
        return nil
      }
    }
  }

  private mutating func readArray() -> TasmotaJSON? {
    guard depth < TasmotaJSON.maximumDepth else { return nil }
    depth += 1
    defer { depth -= 1 }
    index += 1
    var items: [TasmotaJSON] = []
    skipWhitespace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
      index += 1
      return .array(items)
    }
    while true {
      skipWhitespace()
      guard let value = readValue() else { return nil }
      items.append(value)
      skipWhitespace()
      guard index < bytes.count else { return nil }
      if bytes[index] == UInt8(ascii: ",") {
        index += 1
      } else if bytes[index] == UInt8(ascii: "]") {
        index += 1
        return .array(items)
      } else {
        return nil
      }
    }
  }

  private mutating func readNumber() -> TasmotaJSON? {
    let start = index
    if bytes[index] == UInt8(ascii: "-") { index += 1 }
    guard readDigits(leadingZeroAllowed: false) else { return nil }
    if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
      index += 1
      guard readDigits(leadingZeroAllowed: true) else { return nil }
    }
    if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
      index += 1
      if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
      guard readDigits(leadingZeroAllowed: true) else { return nil }
    }
    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    guard let number = Double(text), number.isFinite else { return nil }
    return .number(number)
  }

  /// Reads one or more digits; JSON forbids a leading zero before further integer digits.
  private mutating func readDigits(leadingZeroAllowed: Bool) -> Bool {
    let start = index
    while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
    guard index > start else { return false }
    if !leadingZeroAllowed, bytes[start] == UInt8(ascii: "0"), index - start > 1 { return false }
    return true
  }

  private mutating func readString() -> String? {
    index += 1
    let start = index
    // Fast path: no escapes, so the bytes are the string.
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: "\"") {
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
        index += 1
        return String(validating: slice, as: UTF8.self)
      }
      if byte == UInt8(ascii: "\\") { break }
      if byte < 0x20 { return nil }
      index += 1
    }
    var scalars: [UInt8] = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
    while index < bytes.count {
      let byte = bytes[index]
      index += 1
      switch byte {
      case UInt8(ascii: "\""):
        return String(validating: scalars, as: UTF8.self)
      case UInt8(ascii: "\\"):
        guard index < bytes.count else { return nil }
        let escape = bytes[index]
        index += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escape)
        case UInt8(ascii: "b"): scalars.append(0x08)
        case UInt8(ascii: "f"): scalars.append(0x0C)
        case UInt8(ascii: "n"): scalars.append(0x0A)
        case UInt8(ascii: "r"): scalars.append(0x0D)
        case UInt8(ascii: "t"): scalars.append(0x09)
        case UInt8(ascii: "u"):
          guard let scalar = readUnicodeEscape() else { return nil }
          scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
        default: return nil
        }
      default:
        if byte < 0x20 { return nil }
        scalars.append(byte)
      }
    }
    return nil
  }

  /// Reads the four hex digits after `\u`, joining a UTF-16 surrogate pair when one follows.
  private mutating func readUnicodeEscape() -> Unicode.Scalar? {
    guard let high = readHex4() else { return nil }
    if (0xD800...0xDBFF).contains(high) {
      guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
      else { return nil }
      index += 2
      guard let low = readHex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
      return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    }
    return Unicode.Scalar(high)
  }

  private mutating func readHex4() -> UInt32? {
    guard bytes.count - index >= 4 else { return nil }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[index]
      let digit: UInt32
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
      default: return nil
      }
      value = value << 4 | digit
      index += 1
    }
    return value
  }
}
