import Hummingbird
import SmartLampCore

/// `GET/PATCH /api/v1/profile` (upstream-spec §5.8): the caller's own account, for logged-in people only. A new
/// password needs the current one and ends the caller's other sessions.
struct ProfileRoutes: Sendable {
  let accounts: AccountsServices

  func add(to api: RouterGroup<AuthenticatedContext>) {
    api.get("profile", use: show)
    api.patch("profile", use: update)
  }

  func show(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.profile)
    let user = try context.requireUser()
    return try EnvelopeResponse.success(
      UserSummary(try await accounts.profile(of: user.id)), requestID: context.requestID)
  }

  func update(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.profile)
    let user = try context.requireUser()
    var fields = try await request.bodyFields()
    let name = fields.name()
    let email = fields.email()
    let current = fields.password("currentPassword")
    let newPassword = fields.password("newPassword")
    if ["name", "email", "newPassword"].allSatisfy({ fields.value($0) == nil }) {
      fields.add("body", "must contain at least one of name, email, newPassword")
    }
    if fields.value("newPassword") != nil, fields.value("currentPassword") == nil {
      fields.add("currentPassword", "is required to set a new password")
    }
    try fields.finish()
    let edit = AccountsServices.ProfileEdit(
      name: name, email: email, password: current.flatMap { current in newPassword.map { (current, $0) } })
    let updated = try await accounts.updateProfile(
      of: user, edit, clientIP: context.clientIP, keepingSession: context.caller.sessionID)
    return try EnvelopeResponse.success(UserSummary(updated), requestID: context.requestID)
  }
}
