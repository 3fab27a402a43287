import Crypto
import Foundation

/// Hand-made JWTs for the security tests: any header, any claims, signed with any HMAC secret (or not at all).
enum TokenForgery {
  static func base64URL(_ data: Data) -> String {
    data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
      .replacingOccurrences(of: "=", with: "")
  }

  static func make(header: [String: Any], claims: [String: Any], secret: String?) -> String {
    let head = base64URL(try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
    let body = base64URL(try! JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys]))
    let input = "\(head).\(body)"
    guard let secret else { return input + "." }
    let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(secret.utf8)))
    return input + "." + base64URL(Data(mac))
  }

  /// Decodes the claims of a token without verifying it.
  static func claims(of token: String) -> [String: Any] {
    let part = String(token.split(separator: ".")[1])
    var base64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while base64.count % 4 != 0 { base64 += "=" }
    return (try? JSONSerialization.jsonObject(with: Data(base64Encoded: base64)!)) as? [String: Any] ?? [:]
  }

  static func header(of token: String) -> [String: Any] {
    let part = String(token.split(separator: ".")[0])
    var base64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while base64.count % 4 != 0 { base64 += "=" }
    return (try? JSONSerialization.jsonObject(with: Data(base64Encoded: base64)!)) as? [String: Any] ?? [:]
  }
}
