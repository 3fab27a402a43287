import Crypto
import Foundation

/// Compact JWS tokens signed with HMAC-SHA256 (RFC 7515, RFC 7519), the only kind SmartLamp issues.
///
/// Hand-written rather than a JWT library because verification sits on every authenticated request: this is one
/// HMAC and two small JSON parses on the caller's thread, with no actor hop and no key lookup by `kid`. Anything
/// but `alg: HS256` is refused before the signature is checked, and a `crit` header is refused (RFC 7515 §4.1.11:
/// we implement no extensions).
struct HS256Token: Sendable {
  private let key: SymmetricKey

  /// Tokens longer than this are refused unread.
  static let maximumLength = 4096

  init(keyBytes: [UInt8]) {
    key = SymmetricKey(data: keyBytes)
  }

  /// `header.payload.signature` for `payload`, with the header `{"alg":"HS256","typ":"JWT"}`.
  func sign(payload: Data) -> String {
    let input = Self.header + "." + Base64URL.encode(payload)
    let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: key)
    return input + "." + Base64URL.encode(Data(mac))
  }

  /// The payload bytes of a well-formed HS256 token whose signature is valid; nil for anything else.
  func verifiedPayload(_ token: String) -> Data? {
    let utf8 = token.utf8
    guard utf8.count <= Self.maximumLength else { return nil }
    let parts = utf8.split(separator: UInt8(ascii: "."), maxSplits: 3, omittingEmptySubsequences: false)
    guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]),
      case .object(let header) = try? JSONParser.parse(headerBytes),
      header["alg"] == .string("HS256"), header["crit"] == nil,
      let signature = Base64URL.decode(parts[2]),
      let payload = Base64URL.decode(parts[1])
    else { return nil }
    let signed = utf8[parts[0].startIndex..<parts[1].endIndex]
    // swift-crypto compares the codes in constant time.
    guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: Data(signed), using: key) else {
      return nil
    }
    return payload
  }

  private static let header = Base64URL.encode(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))

}

/// Base64 with the URL alphabet and no padding (RFC 4648 §5), as JWS uses it.
enum Base64URL {
  static func encode(_ data: Data) -> String {
    var text = data.base64EncodedString()
    text = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    while text.last == "=" { text.removeLast() }
    return text
  }

  /// Nil for characters outside the URL alphabet (also `+`, `/` and padding) or an impossible length.
  static func decode(_ text: some Collection<UInt8>) -> Data? {
    guard text.count % 4 != 1 else { return nil }
    var standard = [UInt8]()
    standard.reserveCapacity(text.count + 3)
    for byte in text {
      switch byte {
      case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"):
        standard.append(byte)
      case UInt8(ascii: "-"): standard.append(UInt8(ascii: "+"))
      case UInt8(ascii: "_"): standard.append(UInt8(ascii: "/"))
      default: return nil
      }
    }
    while standard.count % 4 != 0 { standard.append(UInt8(ascii: "=")) }
    return Data(base64Encoded: Data(standard))
  }
}
