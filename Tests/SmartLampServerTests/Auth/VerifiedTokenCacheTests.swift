import Foundation
import Testing

@testable import SmartLampServer

/// The cache of verified access tokens (issue #10) answers only for tokens that verified, byte for byte, and never
/// past their expiry.
@Suite("Verified token cache")
struct VerifiedTokenCacheTests {
  static let secret = "a-secret-that-is-long-enough-for-hs256!"
  static let issued = Date(timeIntervalSince1970: 1_800_000_000)

  @Test func aVerifiedTokenIsRememberedAndAnsweredAlike() throws {
    let tokens = AccessTokens(secret: Self.secret, ttlSeconds: 60)
    let token = try tokens.sign(userId: 7, email: "a@b.c", sessionId: 9, now: Self.issued)
    #expect(tokens.verified.count == 0)
    let first = try tokens.verify(token, now: Self.issued.addingTimeInterval(1))
    #expect(tokens.verified.count == 1)
    let second = try tokens.verify(token, now: Self.issued.addingTimeInterval(2))
    let full = try tokens.verifyInFull(token)
    #expect(first == second && second == full)
    #expect(tokens.verified.count == 1)
  }

  @Test func aCachedTokenExpiresAtItsExp() throws {
    let tokens = AccessTokens(secret: Self.secret, ttlSeconds: 60)
    let token = try tokens.sign(userId: 7, email: "a@b.c", sessionId: 9, now: Self.issued)
    _ = try tokens.verify(token, now: Self.issued)
    #expect(tokens.verified.claims(of: token) != nil)
    _ = try tokens.verify(token, now: Self.issued.addingTimeInterval(59.999))
    #expect(throws: AccessTokenError.expired) { try tokens.verify(token, now: Self.issued.addingTimeInterval(60)) }
    // Dropped once expired, and still expired on every later use.
    #expect(tokens.verified.claims(of: token) == nil)
    #expect(throws: AccessTokenError.expired) { try tokens.verify(token, now: Self.issued.addingTimeInterval(61)) }
    #expect(tokens.verified.count == 0)
  }

  @Test func anExpiredTokenIsNeverRemembered() throws {
    let tokens = AccessTokens(secret: Self.secret, ttlSeconds: 60)
    let token = try tokens.sign(userId: 7, email: "a@b.c", sessionId: 9, now: Self.issued)
    #expect(throws: AccessTokenError.expired) { try tokens.verify(token, now: Self.issued.addingTimeInterval(600)) }
    #expect(tokens.verified.count == 0)
  }

  /// With the genuine token cached, every one-byte change of it is refused: a lookup matches whole tokens only.
  /// Each character moves 32 places in the base64url alphabet, which flips the top of its six bits (a data bit even
  /// in a part's last character, whose low bits may be padding a lenient decoder ignores).
  @Test func everyChangedByteOfACachedTokenIsRefused() throws {
    let tokens = AccessTokens(secret: Self.secret, ttlSeconds: 60)
    let token = try tokens.sign(userId: 7, email: "a@b.c", sessionId: 9, now: Self.issued)
    let now = Self.issued.addingTimeInterval(1)
    _ = try tokens.verify(token, now: now)
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    let bytes = Array(token.utf8)
    for offset in bytes.indices where bytes[offset] != UInt8(ascii: ".") {
      var changed = bytes
      let position = try #require(alphabet.firstIndex(of: bytes[offset]))
      changed[offset] = alphabet[(position + 32) % 64]
      let forged = String(decoding: changed, as: UTF8.self)
      #expect(throws: AccessTokenError.invalid, "offset \(offset)") { try tokens.verify(forged, now: now) }
    }
    // Longer and shorter tokens that share the genuine one's bytes.
    #expect(throws: AccessTokenError.invalid) { try tokens.verify(token + "A", now: now) }
    #expect(throws: AccessTokenError.invalid) { try tokens.verify(String(token.dropLast()), now: now) }
    #expect(tokens.verified.count == 1)
    #expect(try tokens.verify(token, now: now).sid == 9)
  }

  @Test func aTokenCachedUnderOneKeyIsInvalidUnderAnother() throws {
    let tokens = AccessTokens(secret: Self.secret, ttlSeconds: 60)
    let token = try tokens.sign(userId: 7, email: "a@b.c", sessionId: 9, now: Self.issued)
    _ = try tokens.verify(token, now: Self.issued)
    let other = AccessTokens(secret: "another-secret-that-is-long-enough-too", ttlSeconds: 60)
    #expect(throws: AccessTokenError.invalid) { try other.verify(token, now: Self.issued) }
    #expect(other.verified.count == 0)
  }

  @Test func theTableStaysWithinItsCapacity() throws {
    let tokens = AccessTokens(secret: Self.secret, ttlSeconds: 60, cacheCapacity: 4)
    for session in 1...10 {
      let token = try tokens.sign(userId: 7, email: "a@b.c", sessionId: Int64(session), now: Self.issued)
      #expect(try tokens.verify(token, now: Self.issued).sid == Int64(session))
      #expect(tokens.verified.count <= 4)
    }
  }

  @Test func constantTimeEqualityIsEquality() {
    let cases = [("", ""), ("a", "a"), ("a", "b"), ("ab", "a"), ("abc", "abd"), ("xbc", "abc"), ("é", "e")]
    for (left, right) in cases {
      #expect(VerifiedTokenCache.constantTimeEquals(left, right) == (Array(left.utf8) == Array(right.utf8)))
    }
  }
}
