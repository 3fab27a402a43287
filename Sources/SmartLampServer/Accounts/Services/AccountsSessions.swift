import Foundation
import SmartLampCore
import SmartLampStore

/// Login, refresh and logout as domain operations (no HTTP): what the auth routes call.
extension AccountsServices {
  /// A freshly issued pair of tokens for a user.
  struct IssuedSession: Sendable {
    let user: AccountUser
    let sessionId: Int64
    let accessToken: String
    let refreshToken: String
  }

  enum LoginOutcome: Sendable {
    case success(IssuedSession, RateLimitDecision)
    case invalidCredentials(RateLimitDecision)
    case limited(RateLimitDecision)
  }

  /// Checks the limiter, the account and the password. Unknown, inactive and archived accounts cost the same bcrypt
  /// verification as real ones and count as failures.
  func login(email: String, password: String, clientIP: String, userAgent: String?) async throws -> LoginOutcome {
    let keys = LoginLimiter.keys(ip: clientIP, email: email)
    let attempt = try await limiter.reserve(keys: keys)
    guard attempt.allowed else { return .limited(attempt) }
    let user = try await store.users.byEmail(email).map(AccountUser.init)
    let verification = try await passwords.verify(password, against: user?.passwordHash ?? dummyHash)
    guard let user, user.canAct, verification.matches else { return .invalidCredentials(attempt) }
    if verification.needsRehash {
      let newHash = try await passwords.hash(password)
      let oldHash = user.passwordHash
      try await store.users.updatePasswordHash(user.id, newHash, replacing: oldHash)
    }
    let issued = try await issueSession(for: user, clientIP: clientIP, userAgent: userAgent)
    try await limiter.reset(keys: keys)
    let fresh = RateLimitDecision(
      allowed: true, limit: limiter.policy.limit, remaining: limiter.policy.limit, resetAt: 0, retryAfterSec: nil)
    return .success(issued, fresh)
  }

  /// Starts a session family (a login).
  func issueSession(for user: AccountUser, clientIP: String, userAgent: String?) async throws -> IssuedSession {
    let refreshToken = SecretTokens.randomHex(bytes: 48)
    let hash = SecretTokens.sha256Hex(refreshToken)
    let expiresAt = Timestamp.nowMillis() + refreshTTLMs
    let sessionId = try await store.sessions.create(
      NewSession(
        userId: user.id, refreshTokenHash: hash, expiresAt: expiresAt, userAgent: userAgent, ipAddress: clientIP)
    ).id
    let accessToken = try tokens.sign(userId: user.id, email: user.email, sessionId: sessionId)
    return IssuedSession(user: user, sessionId: sessionId, accessToken: accessToken, refreshToken: refreshToken)
  }

  enum RefreshOutcome: Sendable {
    case success(IssuedSession)
    case refused(expired: Bool, message: String)
  }

  /// Rotates a refresh token (CONTRACT §3). Presenting a token that was already rotated or revoked revokes its whole
  /// family, so a stolen token and its descendants all stop working.
  func refresh(token: String, clientIP: String, userAgent: String?) async throws -> RefreshOutcome {
    guard token.utf8.count <= 256 else { return .refused(expired: false, message: "Invalid refresh token") }
    let hash = SecretTokens.sha256Hex(token)
    let newToken = SecretTokens.randomHex(bytes: 48)
    let newHash = SecretTokens.sha256Hex(newToken)
    let now = Timestamp.nowMillis()
    let outcome = try await store.sessions.refresh(
      refreshTokenHash: hash, newRefreshTokenHash: newHash, expiresAt: now + refreshTTLMs, userAgent: userAgent,
      ipAddress: clientIP, now: now)
    switch outcome {
    case .notFound: return .refused(expired: false, message: "Invalid refresh token")
    case .reused:
      logger.warning("refresh token reuse: session family revoked", metadata: ["ip": "\(clientIP)"])
      accessChanges.changed()
      return .refused(expired: false, message: "Refresh token has been revoked")
    case .expired: return .refused(expired: true, message: "Refresh token expired")
    case .userUnusable: return .refused(expired: false, message: "User is inactive")
    case .rotated(let record, let session):
      let user = AccountUser(record)
      let access = try tokens.sign(userId: user.id, email: user.email, sessionId: session.id)
      return .success(IssuedSession(user: user, sessionId: session.id, accessToken: access, refreshToken: newToken))
    }
  }

  /// Revokes the family of the refresh token and/or of the access token's session.
  func logout(refreshToken: String?, sessionId: Int64?) async throws {
    let hash = refreshToken.flatMap { $0.utf8.count <= 256 ? SecretTokens.sha256Hex($0) : nil }
    try await store.sessions.revokeFamilies(refreshTokenHash: hash, sessionId: sessionId, reason: .logout)
    accessChanges.changed()
  }
}
