/// Builds the small JSON documents a device publishes, keys in firmware order (a dictionary would shuffle them).
struct JSONText {
  private(set) var text = "{"
  private var first = true

  mutating func add(_ key: String, raw: String) {
    if !first { text += "," }
    first = false
    text += JSONText.quote(key) + ":" + raw
  }

  mutating func add(_ key: String, _ value: String) { add(key, raw: JSONText.quote(value)) }
  mutating func add(_ key: String, _ value: Int) { add(key, raw: String(value)) }

  var closed: String { text + "}" }

  /// A JSON string literal with the escapes RFC 8259 requires.
  static func quote(_ value: String) -> String {
    var result = "\""
    for scalar in value.unicodeScalars {
      switch scalar {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      case "\r": result += "\\r"
      case "\t": result += "\\t"
      case _ where scalar.value < 0x20: result += "\\u00" + hex(UInt64(scalar.value), digits: 2)
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result + "\""
  }

  static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
}
