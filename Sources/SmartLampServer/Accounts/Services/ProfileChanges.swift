import SmartLampCore
import SmartLampStore

/// The caller's own account as domain operations (no HTTP): what the profile routes call.
extension AccountsServices {
  /// What a person changes on their own account; nil members stay as they are.
  struct ProfileEdit: Sendable {
    var name: String?
    var email: String?
    /// The new password with the current one, which must match.
    var password: (current: String, new: String)?
  }

  /// The caller's account while it can still act; `401` otherwise (archived or deactivated meanwhile).
  func profile(of userId: Int64) async throws -> AccountUser {
    guard let user = try await store.users.byId(userId).map(AccountUser.init), user.canAct else {
      throw APIError(.unauthorized, code: "AUTH_INVALID_TOKEN", message: "Invalid user")
    }
    return user
  }

  /// Applies `edit` to the caller's account. A new password needs the current one — a wrong one counts against the
  /// account like a failed login — and ends the caller's other sessions; the session `keepingSession` stays.
  func updateProfile(of user: UserPrincipal, _ edit: ProfileEdit, clientIP: String, keepingSession: Int64?)
    async throws -> AccountUser
  {
    var newHash: String?
    if let password = edit.password {
      let accountKey = Array(LoginLimiter.keys(ip: clientIP, email: user.email).dropFirst())
      let attempt = try await limiter.reserve(keys: accountKey)
      guard attempt.allowed else { throw attempt.error }
      let stored = try await store.users.byId(user.id)?.passwordHash
      guard let stored, try await passwords.verify(password.current, against: stored).matches else {
        throw APIError(.unauthorized, code: "AUTH_INVALID_CREDENTIALS", message: "Current password is invalid")
      }
      try await limiter.reset(keys: accountKey)
      newHash = try await passwords.hash(password.new)
    }
    // A new password ends the caller's other sessions; the session that made the change stays.
    return try await users.apply(
      UserChanges(name: edit.name, email: edit.email, passwordHash: newHash), to: user.id,
      revokeSessions: newHash != nil ? .passwordChanged : nil, keepingFamilyOf: keepingSession)
  }
}
