/// The one strict RFC 8259 reader, from UTF-8 bytes to any ``JSONTree``: request bodies and tokens on the server,
/// device payloads in Tasmota.
///
/// Why our own: `JSONSerialization` cannot tell `true` from `1` reliably on Linux, takes a trailing comma (`[1,]`),
/// has no nesting bound, and decoding a tree through `Decodable` builds a thrown `DecodingError` for every type it
/// tries, which made a four-member body cost more than the database write behind it. Every path ends in a value or
/// a ``JSONSyntaxError``; nothing traps, and nesting deeper than the caller's bound is refused, so no input recurses
/// without limit. It is `@inlinable` so that each caller gets a copy specialised for its tree.
public struct JSONReader<Tree: JSONTree> {
  @usableFromInline let bytes: UnsafeBufferPointer<UInt8>
  @usableFromInline let maximumDepth: Int
  @usableFromInline let duplicateKeys: JSONDuplicateKeys
  @usableFromInline var index = 0
  @usableFromInline var depth = 0
  /// Where reading stopped, set by the first failure. The steps return nil rather than throw: measured on Tasmota
  /// payloads, optionals cost fewer instructions than typed throws at every step.
  @usableFromInline var failureOffset = 0

  @inlinable
  init(bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int, duplicateKeys: JSONDuplicateKeys) {
    self.bytes = bytes
    self.maximumDepth = maximumDepth
    self.duplicateKeys = duplicateKeys
  }

  /// The value of `bytes`: one JSON value (any kind) with optional whitespace around it, nesting at most
  /// `maximumDepth` arrays and objects.
  @inlinable
  public static func parse(
    _ bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int, duplicateKeys: JSONDuplicateKeys
  ) throws(JSONSyntaxError) -> Tree {
    var reader = JSONReader(bytes: bytes, maximumDepth: maximumDepth, duplicateKeys: duplicateKeys)
    reader.skipWhitespace()
    guard let value = reader.value() else { throw JSONSyntaxError(offset: reader.failureOffset) }
    reader.skipWhitespace()
    guard reader.index == bytes.count else { throw JSONSyntaxError(offset: reader.index) }
    return value
  }

  /// As above, reading in place when the collection's bytes are contiguous and from a copy otherwise.
  @inlinable
  public static func parse(
    _ bytes: some Collection<UInt8>, maximumDepth: Int, duplicateKeys: JSONDuplicateKeys
  ) throws(JSONSyntaxError) -> Tree {
    let read = { (buffer: UnsafeBufferPointer<UInt8>) in
      Result { () throws(JSONSyntaxError) in
        try parse(buffer, maximumDepth: maximumDepth, duplicateKeys: duplicateKeys)
      }
    }
    if let result = bytes.withContiguousStorageIfAvailable(read) { return try result.get() }
    return try Array(bytes).withUnsafeBufferPointer(read).get()
  }

  /// Records a failure at `offset` (the current index unless given) and returns nil.
  @inlinable
  mutating func fail<T>(at offset: Int? = nil) -> T? {
    failureOffset = offset ?? index
    return nil
  }

  /// ``fail(at:)`` for the steps that answer whether they succeeded.
  @inlinable
  mutating func failed() -> Bool {
    failureOffset = index
    return false
  }

  @inlinable
  mutating func skipWhitespace() {
    while index < bytes.count {
      switch bytes[index] {
      case 0x20, 0x09, 0x0A, 0x0D: index += 1
      default: return
      }
    }
  }

  @inlinable
  mutating func value() -> Tree? {
    guard index < bytes.count else { return fail() }
    switch bytes[index] {
    case UInt8(ascii: "{"): return object()
    case UInt8(ascii: "["): return array()
    case UInt8(ascii: "\""): return string().map(Tree.string)
    case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
    case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
    case UInt8(ascii: "n"): return literal("null") ? .null : nil
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number()
    default: return fail()
    }
  }

  @inlinable
  mutating func literal(_ word: StaticString) -> Bool {
    let count = word.utf8CodeUnitCount
    guard bytes.count - index >= count else { return failed() }
    for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return failed() }
    index += count
    return true
  }

  /// Counts one more level of nesting for the container at `index`, refusing it past the bound.
  @inlinable
  mutating func enter() -> Bool {
    guard depth < maximumDepth else { return failed() }
    depth += 1
    index += 1
    return true
  }

  @inlinable
  mutating func object() -> Tree? {
    guard enter() else { return nil }
    defer { depth -= 1 }
    var members: [String: Tree] = [:]
    skipWhitespace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
      index += 1
      return .object(members)
    }
    while true {
      skipWhitespace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return fail() }
      guard let key = string() else { return nil }
      skipWhitespace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return fail() }
      index += 1
      skipWhitespace()
      guard let member = value() else { return nil }
      switch duplicateKeys {
      case .lastWins: members[key] = member
      case .firstWins: if members[key] == nil { members[key] = member }
      }
      skipWhitespace()
      guard index < bytes.count else { return fail() }
      switch bytes[index] {
      case UInt8(ascii: ","): index += 1
      case UInt8(ascii: "}"):
        index += 1
        return .object(members)
      default: return fail()
      }
    }
  }

  @inlinable
  mutating func array() -> Tree? {
    guard enter() else { return nil }
    defer { depth -= 1 }
    var elements: [Tree] = []
    skipWhitespace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
      index += 1
      return .array(elements)
    }
    while true {
      skipWhitespace()
      guard let element = value() else { return nil }
      elements.append(element)
      skipWhitespace()
      guard index < bytes.count else { return fail() }
      switch bytes[index] {
      case UInt8(ascii: ","): index += 1
      case UInt8(ascii: "]"):
        index += 1
        return .array(elements)
      default: return fail()
      }
    }
  }

  @inlinable
  mutating func string() -> String? {
    index += 1
    let start = index
    // Fast path: no escapes, so the bytes are the string (still checked to be UTF-8).
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: "\"") {
        guard let text = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        else { return fail() }
        index += 1
        return text
      }
      if byte == UInt8(ascii: "\\") { break }
      guard byte >= 0x20 else { return fail() }
      index += 1
    }
    var decoded = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
    while index < bytes.count {
      let byte = bytes[index]
      switch byte {
      case UInt8(ascii: "\""):
        index += 1
        guard let text = String(validating: decoded, as: UTF8.self) else { return fail(at: start) }
        return text
      case UInt8(ascii: "\\"):
        index += 1
        guard index < bytes.count else { return fail() }
        let escape = bytes[index]
        index += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"):
          guard let scalar = unicodeEscape() else { return nil }
          decoded.append(contentsOf: scalar)
        default: return fail()
        }
      default:
        guard byte >= 0x20 else { return fail() }
        decoded.append(byte)
        index += 1
      }
    }
    return fail()
  }

  /// The UTF-8 bytes of a `\uXXXX` escape (the `\u` already read), joining a surrogate pair; a lone surrogate is
  /// refused.
  @inlinable
  mutating func unicodeEscape() -> [UInt8]? {
    guard var scalar = hexQuad() else { return nil }
    if (0xD800...0xDBFF).contains(scalar) {
      guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
      else { return fail() }
      index += 2
      guard let low = hexQuad() else { return nil }
      guard (0xDC00...0xDFFF).contains(low) else { return fail() }
      scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
    } else if (0xDC00...0xDFFF).contains(scalar) {
      return fail()
    }
    guard let unicode = Unicode.Scalar(scalar) else { return fail() }
    return Array(String(Character(unicode)).utf8)
  }

  @inlinable
  mutating func hexQuad() -> UInt32? {
    guard bytes.count - index >= 4 else { return fail() }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[index]
      let digit: UInt8
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
      default: return fail()
      }
      value = value << 4 | UInt32(digit)
      index += 1
    }
    return value
  }

  /// A number token (RFC 8259: no leading zeros, no bare `.` or exponent), converted by the tree.
  @inlinable
  mutating func number() -> Tree? {
    let start = index
    if bytes[index] == UInt8(ascii: "-") { index += 1 }
    guard index < bytes.count else { return fail() }
    if bytes[index] == UInt8(ascii: "0") {
      index += 1
    } else {
      guard skipDigits() > 0 else { return fail() }
    }
    var integral = true
    if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
      integral = false
      index += 1
      guard skipDigits() > 0 else { return fail() }
    }
    if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
      integral = false
      index += 1
      if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
      guard skipDigits() > 0 else { return fail() }
    }
    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    guard let value = Tree.number(text: text, integral: integral) else { return fail(at: start) }
    return value
  }

  @inlinable
  mutating func skipDigits() -> Int {
    let start = index
    while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
    return index - start
  }
}
