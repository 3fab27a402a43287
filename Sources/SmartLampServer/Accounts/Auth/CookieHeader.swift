import Foundation

/// Finds one cookie in a `Cookie` header value. Runs on every authenticated request, so an ASCII header (every
/// browser's) is read in place: no split into pairs, no trimmed copies, one `String` for the value found. Issue #10's
/// profile had the split-and-trim reading at 11 % of the bootstrap's CPU.
///
/// The rules are those of the first reading, kept exactly (``legacyLookup(_:in:)`` is that reading; a header with
/// any non-ASCII byte still goes through it, since `Character`-wise splitting and Unicode trimming differ from
/// byte-wise there): pairs are separated by `;`, each pair is trimmed of spaces and tabs, its name is what precedes
/// the first `=` (no further trimming: `auth_token =x` is another name), and the value is the rest, quotes
/// included. The first pair with the name decides, and an empty value answers "no cookie".
enum CookieHeader {
  enum Lookup: Equatable {
    /// No pair has the name: look in the next header.
    case absent
    /// The first pair with the name; nil when its value is empty.
    case found(String?)
  }

  static func lookup(_ name: String, in header: UnsafeBufferPointer<UInt8>) -> Lookup {
    var name = name
    return name.withUTF8 { name in
      let count = header.count
      var index = 0
      while index < count {
        var end = index
        while end < count, header[end] != semicolon { end += 1 }
        var start = index
        var stop = end
        while start < stop, isBlank(header[start]) { start += 1 }
        while stop > start, isBlank(header[stop - 1]) { stop -= 1 }
        var equals = start
        while equals < stop, header[equals] != equalsSign { equals += 1 }
        if equals < stop, UnsafeBufferPointer(rebasing: header[start..<equals]).elementsEqual(name) {
          let value = UnsafeBufferPointer(rebasing: header[(equals + 1)..<stop])
          return .found(value.isEmpty ? nil : String(decoding: value, as: UTF8.self))
        }
        index = end + 1
      }
      return .absent
    }
  }

  /// Whether the fast reading applies: every byte ASCII.
  static func isASCII(_ header: UnsafeBufferPointer<UInt8>) -> Bool {
    header.allSatisfy { $0 < 0x80 }
  }

  /// The first reading, `Character`-wise with Foundation's trimming: the rule for non-ASCII headers.
  static func legacyLookup(_ name: String, in header: String) -> Lookup {
    for pair in header.split(separator: ";") {
      let trimmed = pair.trimmingCharacters(in: .whitespaces)
      guard let eq = trimmed.firstIndex(of: "=") else { continue }
      if trimmed[..<eq] == name {
        let value = String(trimmed[trimmed.index(after: eq)...])
        return .found(value.isEmpty ? nil : value)
      }
    }
    return .absent
  }

  private static let semicolon = UInt8(ascii: ";")
  private static let equalsSign = UInt8(ascii: "=")

  private static func isBlank(_ byte: UInt8) -> Bool {
    byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
  }
}
