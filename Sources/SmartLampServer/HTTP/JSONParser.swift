/// A strict RFC 8259 parser from UTF-8 bytes to ``JSONValue``.
///
/// Request bodies and token payloads are parsed with this instead of `JSONSerialization` + `JSONDecoder`: decoding
/// `JSONValue` through `Decodable` tries each type in turn and builds a thrown `DecodingError` for every miss,
/// which made parsing a four-member execute body cost more than the database write behind it. Numbers without a
/// fraction or exponent that fit `Int` become `.int`; every other number `.double`, as `JSONDecoder` did.
/// Unlike `JSONSerialization`, a trailing comma (`[1,]`) is refused, as RFC 8259 says.
struct JSONParser {
  /// Nesting deeper than this is refused (a 64 KiB body could otherwise nest 32 768 arrays).
  static let maximumDepth = 64

  struct Failure: Error, Equatable {
    let offset: Int
  }

  private let bytes: [UInt8]
  private var index = 0

  private init(_ bytes: [UInt8]) {
    self.bytes = bytes
  }

  /// The value of `bytes`: one JSON value (any kind) with optional whitespace around it.
  static func parse(_ bytes: some Collection<UInt8>) throws(Failure) -> JSONValue {
    var parser = JSONParser(Array(bytes))
    parser.skipWhitespace()
    let value = try parser.value(depth: 0)
    parser.skipWhitespace()
    guard parser.index == parser.bytes.count else { throw Failure(offset: parser.index) }
    return value
  }

  private var failure: Failure { Failure(offset: index) }

  private mutating func skipWhitespace() {
    while index < bytes.count {
      switch bytes[index] {
      case 0x20, 0x09, 0x0A, 0x0D: index += 1
      default: return
      }
    }
  }

  private mutating func value(depth: Int) throws(Failure) -> JSONValue {
    guard index < bytes.count else { throw failure }
    switch bytes[index] {
    case UInt8(ascii: "{"): return try object(depth: depth + 1)
    case UInt8(ascii: "["): return try array(depth: depth + 1)
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "t"):
      try literal("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try literal("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try literal("null")
      return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
    default: throw failure
    }
  }

  private mutating func literal(_ word: StaticString) throws(Failure) {
    let count = word.utf8CodeUnitCount
    guard bytes.count - index >= count else { throw failure }
    for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { throw failure }
    index += count
  }

  private mutating func object(depth: Int) throws(Failure) -> JSONValue {
    guard depth <= Self.maximumDepth else { throw failure }
    index += 1
    var members: [String: JSONValue] = [:]
    skipWhitespace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
      index += 1
      return .object(members)
    }
    while true {
      skipWhitespace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure }
      let key = try string()
      skipWhitespace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure }
      index += 1
      skipWhitespace()
      let member = try value(depth: depth)
      // The first of duplicate names wins, as with `JSONDecoder`.
      if members[key] == nil { members[key] = member }
      skipWhitespace()
      guard index < bytes.count else { throw failure }
      switch bytes[index] {
      case UInt8(ascii: ","): index += 1
      case UInt8(ascii: "}"):
        index += 1
        return .object(members)
      default: throw failure
      }
    }
  }

  private mutating func array(depth: Int) throws(Failure) -> JSONValue {
    guard depth <= Self.maximumDepth else { throw failure }
    index += 1
    var elements: [JSONValue] = []
    skipWhitespace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
      index += 1
      return .array(elements)
    }
    while true {
      skipWhitespace()
      elements.append(try value(depth: depth))
      skipWhitespace()
      guard index < bytes.count else { throw failure }
      switch bytes[index] {
      case UInt8(ascii: ","): index += 1
      case UInt8(ascii: "]"):
        index += 1
        return .array(elements)
      default: throw failure
      }
    }
  }

  private mutating func string() throws(Failure) -> String {
    index += 1
    let start = index
    // Fast path: no escapes, so the bytes are the string (still checked to be UTF-8).
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: "\"") {
        defer { index += 1 }
        guard let text = String(validating: bytes[start..<index], as: UTF8.self) else { throw failure }
        return text
      }
      if byte == UInt8(ascii: "\\") { break }
      guard byte >= 0x20 else { throw failure }
      index += 1
    }
    var decoded = Array(bytes[start..<index])
    while index < bytes.count {
      let byte = bytes[index]
      switch byte {
      case UInt8(ascii: "\""):
        index += 1
        guard let text = String(validating: decoded, as: UTF8.self) else { throw Failure(offset: start) }
        return text
      case UInt8(ascii: "\\"):
        index += 1
        guard index < bytes.count else { throw failure }
        let escape = bytes[index]
        index += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"): decoded.append(contentsOf: try unicodeEscape())
        default: throw failure
        }
      default:
        guard byte >= 0x20 else { throw failure }
        decoded.append(byte)
        index += 1
      }
    }
    throw failure
  }

  /// The UTF-8 bytes of a `\uXXXX` escape (the `\u` already read), joining a surrogate pair; a lone surrogate is
  /// refused.
  private mutating func unicodeEscape() throws(Failure) -> [UInt8] {
    var scalar = try hexQuad()
    if (0xD800...0xDBFF).contains(scalar) {
      guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
      else { throw failure }
      index += 2
      let low = try hexQuad()
      guard (0xDC00...0xDFFF).contains(low) else { throw failure }
      scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
    } else if (0xDC00...0xDFFF).contains(scalar) {
      throw failure
    }
    guard let unicode = Unicode.Scalar(scalar) else { throw failure }
    return Array(String(Character(unicode)).utf8)
  }

  private mutating func hexQuad() throws(Failure) -> UInt32 {
    guard bytes.count - index >= 4 else { throw failure }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[index]
      let digit: UInt8
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
      default: throw failure
      }
      value = value << 4 | UInt32(digit)
      index += 1
    }
    return value
  }

  private mutating func number() throws(Failure) -> JSONValue {
    let start = index
    if bytes[index] == UInt8(ascii: "-") { index += 1 }
    guard index < bytes.count else { throw failure }
    if bytes[index] == UInt8(ascii: "0") {
      index += 1
    } else {
      guard skipDigits() > 0 else { throw failure }
    }
    var integral = true
    if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
      integral = false
      index += 1
      guard skipDigits() > 0 else { throw failure }
    }
    if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
      integral = false
      index += 1
      if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
      guard skipDigits() > 0 else { throw failure }
    }
    let text = String(decoding: bytes[start..<index], as: UTF8.self)
    if integral, let value = Int(text) { return .int(value) }
    guard let value = Double(text), value.isFinite else { throw Failure(offset: start) }
    // `JSONDecoder` gave an exact integral number in `Int`'s range (`2.0`, `1e3`) as an `Int`; so do we.
    if value == value.rounded(), let exact = Int(exactly: value) { return .int(exact) }
    return .double(value)
  }

  private mutating func skipDigits() -> Int {
    let start = index
    while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
    return index - start
  }
}
