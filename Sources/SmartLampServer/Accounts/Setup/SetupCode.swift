import SmartLampCore

/// The first-run setup code: 12 symbols of `A–Z` and `2–9` drawn from the system's CSPRNG, shown as
/// `XXXX-XXXX-XXXX`. Only its SHA-256 is stored; a code typed back is accepted in any case, with or without the
/// dashes and spaces, and compared with the stored digest in constant time.
public enum SetupCode {
  static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ23456789".utf8)
  static let symbols = 12
  static let groupLength = 4

  /// A fresh code (about 61 bits of entropy).
  public static func generate() -> String {
    var generator = SystemRandomNumberGenerator()
    let code = (0..<symbols).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
    return format(code)
  }

  /// The canonical `XXXX-XXXX-XXXX` form of a typed code, or nil when it cannot be a code.
  static func canonical(_ typed: String) -> String? {
    guard typed.utf8.count <= 64 else { return nil }
    let symbols = typed.uppercased().utf8.filter { $0 != UInt8(ascii: "-") && $0 != UInt8(ascii: " ") }
    guard symbols.count == Self.symbols, symbols.allSatisfy({ alphabet.contains($0) }) else { return nil }
    return format(Array(symbols))
  }

  /// What is stored for a canonical code.
  static func digest(_ canonical: String) -> String { SecretTokens.sha256Hex(canonical) }

  /// Whether a typed code is the one whose digest is stored (constant time in the digest).
  static func matches(_ typed: String, storedDigest: String) -> Bool {
    guard let canonical = canonical(typed) else { return false }
    return ConstantTime.equals(Array(digest(canonical).utf8), Array(storedDigest.utf8))
  }

  private static func format(_ symbols: [UInt8]) -> String {
    stride(from: 0, to: symbols.count, by: groupLength).map {
      String(decoding: symbols[$0..<min($0 + groupLength, symbols.count)], as: UTF8.self)
    }.joined(separator: "-")
  }
}
