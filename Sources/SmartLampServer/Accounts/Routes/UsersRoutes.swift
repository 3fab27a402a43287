import Hummingbird
import SmartLampCore
import SmartLampStore

/// The users API (UPSTREAM §5.9), admins only: list, create, edit, archive and restore. Several admins may
/// exist; the rules (the last active admin stays, nobody deactivates or archives themselves) live in
/// ``UserAdministration``.
struct UsersRoutes: Sendable {
  let accounts: AccountsServices
  var users: UserAdministration { accounts.users }

  static let defaultPageSize = 50
  static let maximumPageSize = 200

  func add(to api: RouterGroup<AuthenticatedContext>) {
    api.get("users", use: list)
    api.post("users", use: create)
    api.patch("users/:userId", use: update)
    api.delete("users/:userId", use: archive)
    api.post("users/:userId/restore", use: restore)
  }

  func list(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.manageUsers)
    let includeArchived =
      request.uri.queryParameters.get("includeArchived").map {
        ["1", "true", "yes"].contains($0.trimmingCharacters(in: .whitespaces).lowercased())
      } ?? false
    var errors = FieldErrors()
    let query = PageQuery(
      request, defaultLimit: Self.defaultPageSize, maximum: Self.maximumPageSize, errors: &errors)
    var after: UserCursor?
    if let text = query.cursor {
      after = UserCursor(text: text)
      if after == nil { errors.add("cursor", "is not a valid cursor") }
    }
    try errors.finish()
    guard query.isPaginated else {
      let all = try await users.list(includeArchived: includeArchived)
      return try EnvelopeResponse.success(all.map(UserSummary.init), requestID: context.requestID)
    }
    let page = try await users.page(
      limit: query.limit, after: after.map { UserListPosition(role: $0.role, id: $0.id) },
      includeArchived: includeArchived)
    let next = page.next.map { UserCursor(role: $0.role, id: $0.id).text }
    return try EnvelopeResponse.success(
      Page(items: page.users.map(UserSummary.init), nextCursor: next), requestID: context.requestID)
  }

  func create(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.manageUsers)
    var fields = try await request.bodyFields()
    let name = fields.name(required: true)
    let email = fields.email(required: true)
    let password = fields.password(required: true)
    let isActive = fields.bool("isActive") ?? true
    let role = fields.choice("role", as: Role.self) ?? .member
    try fields.finish()
    guard let name, let email, let password else { throw APIError.validation() }
    let created = try await users.create(
      name: name, email: email, password: password, role: role, isActive: isActive)
    return try EnvelopeResponse.success(
      UserSummary(AccountUser(created)), status: .created, requestID: context.requestID)
  }

  func update(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.manageUsers)
    let userId = try context.idParameter("userId")
    var fields = try await request.bodyFields()
    let edit = UserAdministration.Edit(
      name: fields.name(), email: fields.email(), password: fields.password(),
      role: fields.choice("role", as: Role.self),
      isActive: fields.bool("isActive"))
    if ["name", "email", "password", "isActive", "role"].allSatisfy({ fields.value($0) == nil }) {
      fields.add("body", "must contain at least one of name, email, password, isActive, role")
    }
    try fields.finish()
    let updated = try await users.update(userId, edit, by: context.principal.effectiveUserId)
    return try EnvelopeResponse.success(UserSummary(updated), requestID: context.requestID)
  }

  func archive(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.manageUsers)
    let userId = try context.idParameter("userId")
    let archived = try await users.archive(userId, by: context.principal.effectiveUserId ?? 0)
    return try EnvelopeResponse.success(UserSummary(archived), requestID: context.requestID)
  }

  func restore(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.manageUsers)
    let restored = try await users.restore(try context.idParameter("userId"))
    return try EnvelopeResponse.success(UserSummary(restored), requestID: context.requestID)
  }
}

/// A position in the users list (role, id), rendered as an opaque `role:id` cursor.
struct UserCursor: Sendable, Equatable {
  let role: String
  let id: Int64

  init(role: String, id: Int64) {
    self.role = role
    self.id = id
  }

  init?(text: String) {
    guard let colon = text.lastIndex(of: ":"), let id = Int64(text[text.index(after: colon)...]), id >= 0,
      text.distance(from: text.startIndex, to: colon) <= 64
    else { return nil }
    role = String(text[..<colon])
    self.id = id
  }

  var text: String { "\(role):\(id)" }
}
