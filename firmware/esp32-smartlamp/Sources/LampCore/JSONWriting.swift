/// Writing JSON into a fixed buffer: a string is always escaped, so an id can never break the payload's structure.
extension FixedBytes {
  /// Appends `bytes` as a JSON string literal with quotes; `"`, `\` and control characters are escaped.
  public mutating func appendJSONString(_ bytes: Span<UInt8>) {
    append(0x22)
    for index in 0..<bytes.count {
      let byte = bytes[index]
      switch byte {
      case 0x22:
        append(0x5C)
        append(0x22)
      case 0x5C:
        append(0x5C)
        append(0x5C)
      case 0x0A:
        append(0x5C)
        append(0x6E)
      case 0x0D:
        append(0x5C)
        append(0x72)
      case 0x09:
        append(0x5C)
        append(0x74)
      case 0x00..<0x20, 0x7F:
        append("\\u00")
        append(Hex.digit(byte &>> 4))
        append(Hex.digit(byte & 0x0F))
      default:
        append(byte)
      }
    }
    append(0x22)
  }

  public mutating func appendJSONString<let other: Int>(_ bytes: borrowing FixedBytes<other>) {
    bytes.withSpan { appendJSONString($0) }
  }

  public mutating func appendJSONString(_ text: StaticString) {
    text.withUTF8Buffer { appendJSONString($0.span) }
  }
}
