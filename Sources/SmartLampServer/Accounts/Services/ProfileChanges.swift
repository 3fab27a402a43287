import SmartLampCore
import SmartLampStore

/// The caller's own account and preferences as domain operations (no HTTP): what the profile routes call.
extension AccountsServices {
  /// A person's account with their dashboard preferences.
  struct Profile: Sendable {
    let user: AccountUser
    let preferences: [String: JSONValue]
  }

  /// What a person changes on their own account; nil members stay as they are.
  struct ProfileEdit: Sendable {
    var name: String?
    var email: String?
    /// The new password with the current one, which must match.
    var password: (current: String, new: String)?
    /// Checked preference keys to merge into the stored ones (`null` removes a key).
    var preferences: [String: JSONValue]?

    var changesAccount: Bool { name != nil || email != nil || password != nil }
  }

  /// The caller's account while it can still act; `401` otherwise (archived or deactivated meanwhile).
  func profile(of userId: Int64) async throws -> Profile {
    guard let user = try await store.users.byId(userId).map(AccountUser.init), user.canAct else {
      throw APIError(.unauthorized, code: "AUTH_INVALID_TOKEN", message: "Invalid user")
    }
    return Profile(user: user, preferences: Preferences.decode(try await store.users.preferences(userId)))
  }

  /// Applies `edit` to the caller's account. A new password needs the current one — a wrong one counts against the
  /// account like a failed login — and ends the caller's other sessions; the session `keepingSession` stays.
  /// Preferences that would outgrow their limit with the stored ones are refused before anything is written.
  func updateProfile(of user: UserPrincipal, _ edit: ProfileEdit, clientIP: String, keepingSession: Int64?)
    async throws -> Profile
  {
    if let change = edit.preferences {
      _ = try Preferences.applying(change, to: Preferences.decode(try await store.users.preferences(user.id)))
    }
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
    var account: AccountUser?
    if edit.changesAccount {
      // A new password ends the caller's other sessions; the session that made the change stays.
      account = try await users.apply(
        UserChanges(name: edit.name, email: edit.email, passwordHash: newHash), to: user.id,
        revokeSessions: newHash != nil ? .passwordChanged : nil, keepingFamilyOf: keepingSession)
    }
    var preferences: [String: JSONValue]?
    if let change = edit.preferences {
      do {
        let written = try await store.users.updatePreferences(user.id) { stored in
          try Preferences.applying(change, to: Preferences.decode(stored))
        }
        preferences = Preferences.decode(written)
      } catch StoreError.userNotFound {
        throw APIError.userNotFound()
      }
    }
    if let account, let preferences { return Profile(user: account, preferences: preferences) }
    let current = try await profile(of: user.id)
    return Profile(user: account ?? current.user, preferences: preferences ?? current.preferences)
  }
}
