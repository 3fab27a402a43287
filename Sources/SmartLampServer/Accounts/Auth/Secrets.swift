import Crypto
import Foundation

/// Comparison whose duration does not depend on where two secrets differ.
enum ConstantTime {
  static func equals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
    return difference == 0
  }
}

/// Lowercase hexadecimal encoding.
enum Hex {
  static func encode(_ bytes: some Sequence<UInt8>) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.underestimatedCount * 2)
    for byte in bytes {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  private static let digits = Array("0123456789abcdef".utf8)

  /// Decodes even-length hex (either case); nil for anything else.
  static func decode(_ text: some StringProtocol) -> [UInt8]? {
    let chars = Array(text.utf8)
    guard !chars.isEmpty, chars.count % 2 == 0 else { return nil }
    func value(_ c: UInt8) -> UInt8? {
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
      default: nil
      }
    }
    var out: [UInt8] = []
    out.reserveCapacity(chars.count / 2)
    var index = 0
    while index < chars.count {
      guard let high = value(chars[index]), let low = value(chars[index + 1]) else { return nil }
      out.append(high << 4 | low)
      index += 2
    }
    return out
  }
}

/// Random secrets and their stored digests.
public enum SecretTokens {
  public static func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
  }

  /// `count` random bytes as lowercase hex (refresh tokens: 48 bytes, 96 characters).
  public static func randomHex(bytes count: Int) -> String { Hex.encode(randomBytes(count)) }

  /// Lowercase hex SHA-256 of the UTF-8 text, the stored form of refresh tokens and API keys.
  public static func sha256Hex(_ text: String) -> String { Hex.encode(SHA256.hash(data: Array(text.utf8))) }

  /// Base62 (`0-9A-Za-z`) of the bytes read as one big-endian number, padded so every output of `count` bytes
  /// has the same length.
  public static func base62(_ bytes: [UInt8]) -> String {
    let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    let length = Int((Double(bytes.count) * 8 / log2(62)).rounded(.up))
    var number = bytes
    var digits: [UInt8] = []
    while digits.count < length {
      var remainder = 0
      for index in number.indices {
        let accumulator = remainder * 256 + Int(number[index])
        number[index] = UInt8(accumulator / 62)
        remainder = accumulator % 62
      }
      digits.append(alphabet[remainder])
    }
    return String(decoding: digits.reversed(), as: UTF8.self)
  }
}
