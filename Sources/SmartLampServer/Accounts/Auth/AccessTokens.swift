import Crypto
import Foundation

/// The claims of an access token (CONTRACT §3): `sub` (user id as text), `email`, `type: "user"`, `sid`
/// (session id), `iat`, `exp` as whole seconds since the epoch.
struct AccessTokenClaims: Encodable, Equatable, Sendable {
  var sub: String
  var email: String
  var type: String
  var sid: Int64
  var iat: Double
  var exp: Double

  var userId: Int64? { Int64(sub) }

  /// The claims in a token's payload; nil when one is missing or of the wrong type.
  init?(json: JSONValue) {
    guard case .object(let members) = json, case .string(let sub) = members["sub"],
      case .string(let email) = members["email"], case .string(let type) = members["type"],
      case .int(let sid) = members["sid"], let iat = members["iat"]?.number, let exp = members["exp"]?.number
    else { return nil }
    self.init(sub: sub, email: email, type: type, sid: Int64(sid), iat: iat, exp: exp)
  }

  init(sub: String, email: String, type: String, sid: Int64, iat: Double, exp: Double) {
    self.sub = sub
    self.email = email
    self.type = type
    self.sid = sid
    self.iat = iat
    self.exp = exp
  }
}

extension JSONValue {
  /// The value of a number, integer or not.
  var number: Double? {
    switch self {
    case .int(let value): Double(value)
    case .double(let value): value
    default: nil
    }
  }
}

enum AccessTokenError: Error, Equatable {
  case expired
  case invalid
}

/// Signs and verifies access tokens: HS256 only (see ``HS256Token``).
struct AccessTokens: Sendable {
  let token: HS256Token
  let ttlSeconds: Int
  /// Tokens verified under this key (one cache per key: a token is never looked up under another).
  let verified: VerifiedTokenCache

  init(secret: String, ttlSeconds: Int, cacheCapacity: Int = 10_000) {
    token = HS256Token(keyBytes: Self.keyBytes(secret))
    self.ttlSeconds = ttlSeconds
    verified = VerifiedTokenCache(capacity: cacheCapacity)
  }

  /// HS256 wants a key of at least 32 bytes; a shorter configured secret is stretched with SHA-256 rather than
  /// refused (tokens of the upstream system are not accepted anyway: they carry no `sid`).
  static func keyBytes(_ secret: String) -> [UInt8] {
    let bytes = Array(secret.utf8)
    return bytes.count >= 32 ? bytes : Array(SHA256.hash(data: bytes))
  }

  func sign(userId: Int64, email: String, sessionId: Int64, now: Date = Date()) throws -> String {
    let issued = now.timeIntervalSince1970.rounded(.down)
    let claims = AccessTokenClaims(
      sub: String(userId), email: email, type: "user", sid: sessionId, iat: issued,
      exp: issued + Double(ttlSeconds))
    return token.sign(payload: try Self.encoder.encode(claims))
  }

  /// The verified claims; `.expired` only for a correctly signed token past `exp`. A token verified before is
  /// answered from ``verified`` (its expiry checked again against `now`).
  func verify(_ text: String, now: Date = Date()) throws(AccessTokenError) -> AccessTokenClaims {
    if let claims = verified.claims(of: text) {
      guard now.timeIntervalSince1970 < claims.exp else {
        verified.forget(text)
        throw .expired
      }
      return claims
    }
    let claims = try verifyInFull(text)
    guard now.timeIntervalSince1970 < claims.exp else { throw .expired }
    verified.remember(claims, of: text)
    return claims
  }

  /// Signature and claims, read from the token's bytes (no expiry, no cache).
  func verifyInFull(_ text: String) throws(AccessTokenError) -> AccessTokenClaims {
    guard let payload = token.verifiedPayload(text),
      let json = try? JSONParser.parse(payload), let claims = AccessTokenClaims(json: json),
      claims.type == "user", claims.userId != nil
    else { throw .invalid }
    return claims
  }

  private static let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    return encoder
  }()
}
