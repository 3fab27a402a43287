import Hummingbird
import SmartLampCore
import SmartLampStore

/// `GET/PATCH /api/v1/profile` (upstream-spec §5.8): the caller's own account. A new password needs the current
/// one and ends the caller's other sessions.
struct ProfileRoutes: Sendable {
  let services: AppServices
  var accounts: AccountsServices { services.accounts }

  func add(to group: RouterGroup<AppRequestContext>) {
    group.get(use: show)
    group.patch(use: update)
  }

  func show(_ request: Request, context: AppRequestContext) async throws -> Response {
    let (user, _) = try context.authorizeUser(.profile)
    let record = try await accounts.store.users.byId(user.id).map(AccountUser.init)
    guard let record, record.canAct else {
      throw APIError(.unauthorized, code: "AUTH_INVALID_TOKEN", message: "Invalid user")
    }
    return try EnvelopeResponse.success(UserSummary(record), requestID: context.requestID)
  }

  struct PatchBody: Decodable {
    let name: String?
    let email: String?
    let currentPassword: String?
    let newPassword: String?
  }

  func update(_ request: Request, context: AppRequestContext) async throws -> Response {
    let (user, caller) = try context.authorizeUser(.profile)
    let body = try await request.jsonBody().decode(PatchBody.self)
    var errors = FieldErrors()
    let name = Validation.name(body.name, required: false, into: &errors)
    let email = Validation.email(body.email, required: false, into: &errors)
    let current = Validation.password(body.currentPassword, field: "currentPassword", required: false, into: &errors)
    let newPassword = Validation.password(body.newPassword, field: "newPassword", required: false, into: &errors)
    if body.name == nil, body.email == nil, body.newPassword == nil {
      errors.add("body", "must contain at least one of name, email, newPassword")
    }
    if body.newPassword != nil, body.currentPassword == nil {
      errors.add("currentPassword", "is required to set a new password")
    }
    try errors.throwIfInvalid()

    var newHash: String?
    if let newPassword, let current {
      // Guessing the current password with a stolen session counts against the account like a failed login.
      let accountKey = Array(LoginLimiter.keys(ip: context.clientIP, email: user.email).dropFirst())
      let attempt = try await accounts.limiter.reserve(keys: accountKey)
      guard attempt.allowed else { throw attempt.error }
      let stored = try await accounts.store.users.byId(user.id)?.passwordHash
      guard let stored, try await accounts.passwords.verify(current, against: stored).matches else {
        throw APIError(.unauthorized, code: "AUTH_INVALID_CREDENTIALS", message: "Current password is invalid")
      }
      try await accounts.limiter.reset(keys: accountKey)
      newHash = try await accounts.passwords.hash(newPassword)
    }
    let changes = UserChanges(name: name, email: email, passwordHash: newHash)
    let updated: AccountUser
    do {
      // A new password ends the caller's other sessions; the session that made the change stays.
      updated = AccountUser(
        try await accounts.store.users.update(
          user.id, changes, protectLastAdmin: false, revokeSessions: newHash != nil ? .passwordChanged : nil,
          keepingFamilyOf: caller.sessionID))
    } catch StoreError.userNotFound {
      throw APIError.userNotFound()
    } catch StoreError.duplicate {
      throw APIError.alreadyExists("Email already exists", field: "email")
    }
    // Also a new name or email: principals read from the session cache must not keep the old ones.
    accounts.accessChanges.changed()
    return try EnvelopeResponse.success(UserSummary(updated), requestID: context.requestID)
  }
}
