import Foundation
import Testing

@testable import SmartLampServer

@Suite("HS256 tokens")
struct HS256TokenTests {
  /// RFC 7515 appendix A.1: the HMAC SHA-256 example, verified byte for byte.
  static let rfcKey = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
  static let rfcToken =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    + ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

  static var rfcSigner: HS256Token {
    HS256Token(keyBytes: Array(Base64URL.decode(Array(rfcKey.utf8)) ?? Data()))
  }

  @Test func acceptsTheRFC7515Example() throws {
    let payload = try #require(Self.rfcSigner.verifiedPayload(Self.rfcToken))
    #expect(
      String(decoding: payload, as: UTF8.self)
        == "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}")
  }

  @Test func refusesAnyChangedByte() {
    let token = Self.rfcToken
    for offset in stride(from: 0, to: token.utf8.count, by: 7) {
      var bytes = Array(token.utf8)
      guard bytes[offset] != UInt8(ascii: ".") else { continue }
      bytes[offset] = bytes[offset] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
      #expect(Self.rfcSigner.verifiedPayload(String(decoding: bytes, as: UTF8.self)) == nil, "offset \(offset)")
    }
  }

  @Test func refusesOtherKeysAlgorithmsAndShapes() {
    let signer = HS256Token(keyBytes: Array("a-secret-that-is-long-enough-for-hs256!".utf8))
    let good = signer.sign(payload: Data(#"{"a":1}"#.utf8))
    #expect(signer.verifiedPayload(good) == Data(#"{"a":1}"#.utf8))
    #expect(HS256Token(keyBytes: Array("another-secret-that-is-long-enough-too".utf8)).verifiedPayload(good) == nil)
    let parts = good.split(separator: ".").map(String.init)
    let header = { (json: String) in Base64URL.encode(Data(json.utf8)) }
    #expect(signer.verifiedPayload(header(#"{"alg":"none"}"#) + "." + parts[1] + ".") == nil)
    #expect(signer.verifiedPayload(header(#"{"alg":"HS512"}"#) + "." + parts[1] + "." + parts[2]) == nil)
    // Re-signed with our key but asking for an extension we do not implement.
    let critical = header(#"{"alg":"HS256","crit":["exp"]}"#)
    #expect(signer.verifiedPayload(critical + "." + parts[1] + "." + parts[2]) == nil)
    #expect(signer.verifiedPayload(good + ".x") == nil)
    #expect(signer.verifiedPayload(parts[0] + "." + parts[1]) == nil)
    #expect(signer.verifiedPayload(good + "=") == nil)
    #expect(signer.verifiedPayload(String(repeating: "a", count: HS256Token.maximumLength + 1)) == nil)
    #expect(signer.verifiedPayload("") == nil)
  }

  @Test func accessTokensTellExpiredFromInvalid() throws {
    let tokens = AccessTokens(secret: "short", ttlSeconds: 60)
    let issued = Date(timeIntervalSince1970: 1_800_000_000)
    let token = try tokens.sign(userId: 7, email: "a@b.c", sessionId: 9, now: issued)
    let claims = try tokens.verify(token, now: issued.addingTimeInterval(59))
    #expect(claims.userId == 7 && claims.sid == 9 && claims.email == "a@b.c" && claims.exp == 1_800_000_060)
    #expect(throws: AccessTokenError.expired) { try tokens.verify(token, now: issued.addingTimeInterval(60)) }
    #expect(throws: AccessTokenError.invalid) {
      try AccessTokens(secret: "other", ttlSeconds: 60).verify(token, now: issued)
    }
  }

  /// Tokens issued before this implementation (jwt-kit wrote `iat`/`exp` as fractional numbers) stay valid.
  @Test func acceptsFractionalTimes() throws {
    let secret = "a-secret-that-is-long-enough-for-hs256!"
    let signer = HS256Token(keyBytes: AccessTokens.keyBytes(secret))
    let payload = #"{"email":"a@b.c","exp":1800000060.0,"iat":1800000000.0,"sid":3,"sub":"5","type":"user"}"#
    let token = signer.sign(payload: Data(payload.utf8))
    let claims = try AccessTokens(secret: secret, ttlSeconds: 60).verify(
      token, now: Date(timeIntervalSince1970: 1_800_000_001))
    #expect(claims.userId == 5 && claims.sid == 3)
  }
}
