import Foundation

/// Reads a `.env` file: `KEY=value` lines, `#` comments, optional `export `, single or double quotes.
enum DotEnv {
  struct ParseError: Error, CustomStringConvertible {
    let line: Int
    let reason: String
    var description: String { "line \(line): \(reason)" }
  }

  static func parse(contentsOf path: String) throws -> [String: String] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    return try parse(text)
  }

  static func parse(_ text: String) throws(ParseError) -> [String: String] {
    var values: [String: String] = [:]
    for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      var line = rawLine.trimmingCharacters(in: .whitespaces)
      if line.hasSuffix("\r") { line.removeLast() }
      if line.isEmpty || line.hasPrefix("#") { continue }
      if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
      guard let eq = line.firstIndex(of: "=") else { throw ParseError(line: index + 1, reason: "expected KEY=value") }
      let key = line[..<eq].trimmingCharacters(in: .whitespaces)
      guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
        throw ParseError(line: index + 1, reason: "invalid key '\(key)'")
      }
      var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
      if let quote = value.first, quote == "\"" || quote == "'" {
        let rest = value.dropFirst()
        guard let close = rest.firstIndex(of: quote) else {
          throw ParseError(line: index + 1, reason: "unterminated quote")
        }
        value = String(rest[..<close])
      } else if let hash = value.range(of: " #") {
        value = value[..<hash.lowerBound].trimmingCharacters(in: .whitespaces)
      }
      values[key] = value
    }
    return values
  }
}
