/// Byte-level helpers: topics and switch values are ASCII, and working on UTF-8 bytes instead of Characters
/// makes the hot parsing path several times faster.
enum ASCII {
  static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

  /// The bytes without leading and trailing ASCII whitespace.
  static func trimmed(_ bytes: Substring.UTF8View) -> Substring.UTF8View {
    var view = bytes
    while let first = view.first, isSpace(first) { view = view.dropFirst() }
    while let last = view.last, isSpace(last) { view = view.dropLast() }
    return view
  }

  /// Case-insensitive comparison with an upper-case ASCII word.
  static func equalsUppercased(_ bytes: some Collection<UInt8>, _ word: StaticString) -> Bool {
    guard bytes.count == word.utf8CodeUnitCount else { return false }
    var index = 0
    for byte in bytes {
      let expected = word.utf8Start[index]
      let folded = (byte >= 0x61 && byte <= 0x7A) ? byte - 0x20 : byte
      guard folded == expected else { return false }
      index += 1
    }
    return true
  }
}
