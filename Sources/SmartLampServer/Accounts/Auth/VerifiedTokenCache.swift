import Synchronization

/// The claims of access tokens already verified, so a screen sending the same cookie on every request pays for the
/// base64 decoding, the HMAC and the two JSON parses once rather than per request (issue #10: 8.5 % of the
/// bootstrap's CPU).
///
/// An entry holds only what the token's own bytes decide — it carries our signature and well-formed user claims —
/// so nothing about revocation moves here: the session, the user and the grants are still checked on every request
/// (``SessionCache``, ``GrantCache``), and ``AccessTokens`` checks the expiry on every use of an entry. Only tokens
/// that verified are added; a forged or altered token differs from each of them in some byte, so it misses and is
/// verified (and refused) in full. A lookup compares whole tokens in constant time, and the table's hashing is
/// seeded per process, so the time a guess takes tells nothing about the tokens held.
final class VerifiedTokenCache: Sendable {
  private struct Key: Hashable {
    let token: String

    func hash(into hasher: inout Hasher) { hasher.combine(token) }

    static func == (lhs: Key, rhs: Key) -> Bool { VerifiedTokenCache.constantTimeEquals(lhs.token, rhs.token) }
  }

  private let entries = Mutex<[Key: AccessTokenClaims]>([:])
  /// Beyond this many tokens the table is emptied rather than grown (the next use of each verifies it again).
  let capacity: Int

  init(capacity: Int = 10_000) {
    self.capacity = capacity
  }

  func claims(of token: String) -> AccessTokenClaims? {
    entries.withLock { $0[Key(token: token)] }
  }

  func remember(_ claims: AccessTokenClaims, of token: String) {
    entries.withLock { entries in
      if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
      entries[Key(token: token)] = claims
    }
  }

  /// Drops a token (an expired one: it can only ever be refused from now on).
  func forget(_ token: String) {
    _ = entries.withLock { $0.removeValue(forKey: Key(token: token)) }
  }

  var count: Int { entries.withLock { $0.count } }

  /// Equal bytes, in a time that depends on the lengths only.
  static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
    var lhs = lhs
    var rhs = rhs
    return lhs.withUTF8 { left in
      rhs.withUTF8 { right in
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<left.count { difference |= left[index] ^ right[index] }
        return difference == 0
      }
    }
  }
}
