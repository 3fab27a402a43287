import JSONCore

/// Request bodies, token payloads and stored preferences, read by the shared ``JSONReader`` into ``JSONValue``.
///
/// The values are the ones routes saw from `JSONDecoder` before the reader existed: numbers without a fraction or
/// exponent that fit `Int` become `.int`, every other number `.double`, and of duplicate names the first wins.
enum JSONParser {
  /// Nesting deeper than this is refused (a 64 KiB body could otherwise nest 32 768 arrays).
  static let maximumDepth = 64

  typealias Failure = JSONSyntaxError

  /// The value of `bytes`: one JSON value (any kind) with optional whitespace around it.
  static func parse(_ bytes: some Collection<UInt8>) throws(Failure) -> JSONValue {
    try JSONReader.parse(bytes, maximumDepth: maximumDepth, duplicateKeys: .firstWins)
  }
}

extension JSONValue: JSONTree {
  public static func number(text: String, integral: Bool) -> JSONValue? {
    if integral, let value = Int(text) { return .int(value) }
    guard let value = Double(text), value.isFinite else { return nil }
    // `JSONDecoder` gave an exact integral number in `Int`'s range (`2.0`, `1e3`) as an `Int`; so do we.
    if value == value.rounded(), let exact = Int(exactly: value) { return .int(exact) }
    return .double(value)
  }
}
