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
    let user = try await store.database.read { conn in try AccountsStore.user(email: email, in: conn) }
    let verification = try await passwords.verify(password, against: user?.passwordHash ?? dummyHash)
    guard let user, user.canAct, verification.matches else { return .invalidCredentials(attempt) }
    if verification.needsRehash {
      let newHash = try await passwords.hash(password)
      let oldHash = user.passwordHash
      try await store.database.write { conn in
        try AccountsStore.updatePasswordHash(userId: user.id, newHash: newHash, replacing: oldHash, in: conn)
      }
    }
    let issued = try await issueSession(for: user, familyId: nil, clientIP: clientIP, userAgent: userAgent)
    try await limiter.reset(keys: keys)
    let fresh = RateLimitDecision(
      allowed: true, limit: limiter.policy.limit, remaining: limiter.policy.limit, resetAt: 0, retryAfterSec: nil)
    return .success(issued, fresh)
  }

  /// Starts a session family (login) or continues one (refresh, inside the rotation transaction's result).
  func issueSession(for user: AccountUser, familyId: String?, clientIP: String, userAgent: String?) async throws
    -> IssuedSession
  {
    let refreshToken = SecretTokens.randomHex(bytes: 48)
    let hash = SecretTokens.sha256Hex(refreshToken)
    let family = familyId ?? UUID().uuidString.lowercased()
    let expiresAt = StoreTime.nowMillis() + refreshTTLMs
    let sessionId = try await store.database.write { conn in
      try AccountsStore.insertSession(
        userId: user.id, tokenHash: hash, familyId: family, expiresAt: expiresAt, userAgent: userAgent,
        ipAddress: clientIP, in: conn)
    }
    let accessToken = try await tokens.sign(userId: user.id, email: user.email, sessionId: sessionId)
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
    let now = StoreTime.nowMillis()
    let refreshTTLMs = self.refreshTTLMs
    let userAgentValue = userAgent
    enum Step: Sendable {
      case rotated(AccountUser, Int64)
      case refused(Bool, String)
    }
    let step: Step = try await store.database.write { conn in
      guard let session = try AccountsStore.session(tokenHash: hash, in: conn) else {
        return .refused(false, "Invalid refresh token")
      }
      if session.revokedAt != nil || session.rotatedAt != nil {
        try AccountsStore.revokeFamily(session.familyId, reason: .reuse, now: now, in: conn)
        return .refused(false, "Refresh token has been revoked")
      }
      if session.expiresAt <= now {
        try AccountsStore.revokeFamily(session.familyId, reason: .expired, now: now, in: conn)
        return .refused(true, "Refresh token expired")
      }
      guard let user = try AccountsStore.user(id: session.userId, in: conn), user.canAct else {
        try AccountsStore.revokeFamily(session.familyId, reason: .userDisabled, now: now, in: conn)
        return .refused(false, "User is inactive")
      }
      let newId = try AccountsStore.insertSession(
        userId: user.id, tokenHash: newHash, familyId: session.familyId, expiresAt: now + refreshTTLMs,
        userAgent: userAgentValue, ipAddress: clientIP, in: conn)
      try AccountsStore.markRotated(sessionId: session.id, replacement: newId, now: now, in: conn)
      return .rotated(user, newId)
    }
    switch step {
    case .refused(let expired, let message):
      if message == "Refresh token has been revoked" {
        logger.warning("refresh token reuse: session family revoked", metadata: ["ip": "\(clientIP)"])
      }
      return .refused(expired: expired, message: message)
    case .rotated(let user, let sessionId):
      let access = try await tokens.sign(userId: user.id, email: user.email, sessionId: sessionId)
      return .success(IssuedSession(user: user, sessionId: sessionId, accessToken: access, refreshToken: newToken))
    }
  }

  /// Revokes the family of the refresh token and/or of the access token's session.
  func logout(refreshToken: String?, sessionId: Int64?) async throws {
    let hash = refreshToken.flatMap { $0.utf8.count <= 256 ? SecretTokens.sha256Hex($0) : nil }
    let now = StoreTime.nowMillis()
    try await store.database.write { conn in
      var families: Set<String> = []
      if let hash, let session = try AccountsStore.session(tokenHash: hash, in: conn) {
        families.insert(session.familyId)
      }
      if let sessionId, let session = try AccountsStore.session(id: sessionId, in: conn) {
        families.insert(session.familyId)
      }
      for family in families { try AccountsStore.revokeFamily(family, reason: .logout, now: now, in: conn) }
    }
  }
}
