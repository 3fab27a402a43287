import Crypto
import Foundation
import JWTKit

/// The claims of an access token (CONTRACT §3): `sub` (user id as text), `email`, `type: "user"`, `sid`
/// (session id), `iat`, `exp` as whole seconds.
struct AccessTokenClaims: JWTPayload, Equatable {
  var sub: SubjectClaim
  var email: String
  var type: String
  var sid: Int64
  var iat: IssuedAtClaim
  var exp: ExpirationClaim

  func verify(using algorithm: some JWTAlgorithm) async throws {
    guard Date() < exp.value else { throw AccessTokenError.expired }
  }
}

enum AccessTokenError: Error, Equatable {
  case expired
  case invalid
}

/// Signs and verifies access tokens: HS256 only. The header is checked before the signature so `alg: none`, RS/ES
/// algorithms or a `kid` pointing elsewhere never reach a verifier.
struct AccessTokens: Sendable {
  let keys: JWTKeyCollection
  let ttlSeconds: Int

  init(secret: String, ttlSeconds: Int) async {
    let keys = JWTKeyCollection()
    await keys.add(hmac: HMACKey(from: Self.keyBytes(secret)), digestAlgorithm: .sha256)
    self.keys = keys
    self.ttlSeconds = ttlSeconds
  }

  /// HS256 wants a key of at least 32 bytes; a shorter configured secret is stretched with SHA-256 rather than
  /// refused (tokens of the upstream system are not accepted anyway: they carry no `sid`).
  static func keyBytes(_ secret: String) -> [UInt8] {
    let bytes = Array(secret.utf8)
    return bytes.count >= 32 ? bytes : Array(SHA256.hash(data: bytes))
  }

  func sign(userId: Int64, email: String, sessionId: Int64, now: Date = Date()) async throws -> String {
    let issued = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
    let claims = AccessTokenClaims(
      sub: .init(value: String(userId)), email: email, type: "user", sid: sessionId, iat: .init(value: issued),
      exp: .init(value: issued.addingTimeInterval(TimeInterval(ttlSeconds))))
    return try await keys.sign(claims)
  }

  /// The verified claims; `.expired` only for a correctly signed token past `exp`.
  func verify(_ token: String) async throws(AccessTokenError) -> AccessTokenClaims {
    guard token.utf8.count <= 4096, Self.headerIsHS256(token) else { throw .invalid }
    let claims: AccessTokenClaims
    do {
      claims = try await keys.verify(token, as: AccessTokenClaims.self)
    } catch AccessTokenError.expired {
      throw .expired
    } catch {
      throw .invalid
    }
    guard claims.type == "user", Int64(claims.sub.value) != nil else { throw .invalid }
    return claims
  }

  static func headerIsHS256(_ token: String) -> Bool {
    let parts = token.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 3, let data = base64URLDecode(parts[0]),
      let header = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      header["alg"] as? String == "HS256"
    else { return false }
    // `crit` asks for extensions we do not implement; RFC 7515 says to refuse such tokens.
    return header["crit"] == nil
  }

  static func base64URLDecode(_ text: some StringProtocol) -> Data? {
    var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while base64.count % 4 != 0 { base64 += "=" }
    return Data(base64Encoded: base64)
  }
}
