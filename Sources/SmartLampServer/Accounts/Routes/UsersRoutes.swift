import Hummingbird
import SmartLampCore
import SmartLampStore

/// The users API (upstream-spec §5.9), admins only: list, create, edit, archive, restore, and the per-device
/// assignments. Several admins may exist; the last active admin can be neither demoted, deactivated nor archived.
/// Every change that spans rows is one transaction, and its checks run inside it.
struct UsersRoutes: Sendable {
  let services: AppServices
  var accounts: AccountsServices { services.accounts }

  func add(to group: RouterGroup<AppRequestContext>) {
    group.get(use: list)
    group.post(use: create)
    group.patch(":userId", use: update)
    group.delete(":userId", use: archive)
    group.post(":userId/restore", use: restore)
    group.get(":userId/assignments", use: AssignmentsRoutes(services: services).show)
    group.put(":userId/assignments", use: AssignmentsRoutes(services: services).replace)
  }

  static let maximumPageSize = 200

  func list(_ request: Request, context: AppRequestContext) async throws -> Response {
    _ = try context.authorize(.manageUsers)
    let query = request.uri.queryParameters
    let includeArchived =
      query.get("includeArchived").map {
        ["1", "true", "yes"].contains($0.trimmingCharacters(in: .whitespaces).lowercased())
      } ?? false
    var errors = FieldErrors()
    var limit: Int?
    if let text = query.get("limit") {
      if let value = Int(text), (1...Self.maximumPageSize).contains(value) {
        limit = value
      } else {
        errors.add("limit", "must be an integer between 1 and \(Self.maximumPageSize)")
      }
    }
    var cursor: UserCursor?
    if let text = query.get("cursor"), !text.isEmpty {
      if let parsed = UserCursor(text: String(text)) { cursor = parsed } else { errors.add("cursor", "is invalid") }
    }
    try errors.throwIfInvalid()
    let after = cursor
    let paginated = limit != nil || query.get("cursor") != nil
    let pageSize = limit ?? 50
    guard paginated else {
      let users = try await accounts.store.users.list(includeArchived: includeArchived).map(AccountUser.init)
      return try EnvelopeResponse.success(users.map(UserSummary.init), requestID: context.requestID)
    }
    let result = try await accounts.store.users.page(
      limit: pageSize, after: after.map { UserListPosition(role: $0.role, id: $0.id) },
      includeArchived: includeArchived)
    let page = result.items.map(AccountUser.init)
    let next = result.next.map { UserCursor(role: $0.role, id: $0.id).text }
    struct Page: Encodable {
      let items: [UserSummary]
      let nextCursor: String?
      func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(items, forKey: .items)
        try c.encode(nextCursor, forKey: .nextCursor)
      }
      enum CodingKeys: String, CodingKey { case items, nextCursor }
    }
    return try EnvelopeResponse.success(
      Page(items: page.map(UserSummary.init), nextCursor: next), requestID: context.requestID)
  }

  struct CreateBody: Decodable {
    let name: String?
    let email: String?
    let password: String?
    let isActive: Bool?
    let role: String?
  }

  func create(_ request: Request, context: AppRequestContext) async throws -> Response {
    _ = try context.authorize(.manageUsers)
    let body = try await request.jsonBody().decode(CreateBody.self)
    var errors = FieldErrors()
    let name = Validation.name(body.name, into: &errors)
    let email = Validation.email(body.email, into: &errors)
    let password = Validation.password(body.password, into: &errors)
    let role = Validation.choice(body.role, field: "role", as: Role.self, required: false, into: &errors) ?? .member
    try errors.throwIfInvalid()
    guard let name, let email, let password else { throw APIError.validation() }
    let hash = try await accounts.passwords.hash(password)
    let isActive = body.isActive ?? true
    let created: AccountUser
    do {
      created = AccountUser(
        try await accounts.store.users.create(
          NewUser(name: name, email: email, passwordHash: hash, role: role, isActive: isActive)))
    } catch StoreError.duplicate {
      throw APIError.alreadyExists("Email already exists", field: "email")
    }
    return try EnvelopeResponse.success(UserSummary(created), status: .created, requestID: context.requestID)
  }

  struct PatchBody: Decodable {
    let name: String?
    let email: String?
    let password: String?
    let isActive: Bool?
    let role: String?
  }

  func update(_ request: Request, context: AppRequestContext) async throws -> Response {
    let caller = try context.authorize(.manageUsers)
    let userId = try context.idParameter("userId")
    let body = try await request.jsonBody().decode(PatchBody.self)
    var errors = FieldErrors()
    let name = Validation.name(body.name, required: false, into: &errors)
    let email = Validation.email(body.email, required: false, into: &errors)
    let password = Validation.password(body.password, required: false, into: &errors)
    let role = Validation.choice(body.role, field: "role", as: Role.self, required: false, into: &errors)
    if body.name == nil, body.email == nil, body.password == nil, body.isActive == nil, body.role == nil {
      errors.add("body", "must contain at least one of name, email, password, isActive, role")
    }
    try errors.throwIfInvalid()
    let hash: String? = if let password { try await accounts.passwords.hash(password) } else { nil }
    let changes = UserChanges(name: name, email: email, passwordHash: hash, role: role, isActive: body.isActive)
    let callerId = caller.principal.effectiveUserId
    // A reset password or a deactivation ends the account's sessions at once.
    let revoke: SessionEnd? =
      changes.passwordHash != nil ? .passwordChanged : changes.isActive == false ? .userDisabled : nil
    let updated: AccountUser
    do {
      updated = AccountUser(
        try await accounts.store.users.update(userId, changes, protectLastAdmin: false, revokeSessions: revoke) {
          check in
          let target = AccountUser(check.user)
          if target.isArchived { throw APIError.rule("Archived user must be restored before editing") }
          let losesAdmin = (role != nil && role != .admin) || changes.isActive == false
          if target.role == .admin, target.canAct, losesAdmin, try check.otherActiveAdminCount() == 0 {
            throw APIError.rule("The last active admin cannot be demoted or deactivated")
          }
          if changes.isActive == false, target.id == callerId {
            throw APIError.rule("You cannot deactivate your own account")
          }
        })
    } catch StoreError.userNotFound {
      throw APIError.userNotFound()
    } catch StoreError.duplicate {
      throw APIError.alreadyExists("Email already exists", field: "email")
    }
    accounts.accessChanges.changed()
    return try EnvelopeResponse.success(UserSummary(updated), requestID: context.requestID)
  }

  func archive(_ request: Request, context: AppRequestContext) async throws -> Response {
    let caller = try context.authorize(.manageUsers)
    let userId = try context.idParameter("userId")
    let callerId = caller.principal.effectiveUserId ?? 0
    let archived: AccountUser
    do {
      archived = AccountUser(
        try await accounts.store.users.archive(userId, by: callerId, protectLastAdmin: false) { check in
          let target = AccountUser(check.user)
          if target.id == callerId { throw APIError.rule("You cannot archive your own account") }
          if target.role == .admin, target.canAct, try check.otherActiveAdminCount() == 0 {
            throw APIError.rule("The last active admin cannot be archived")
          }
        })
    } catch StoreError.userNotFound {
      throw APIError.userNotFound()
    }
    accounts.accessChanges.changed()
    return try EnvelopeResponse.success(UserSummary(archived), requestID: context.requestID)
  }

  func restore(_ request: Request, context: AppRequestContext) async throws -> Response {
    _ = try context.authorize(.manageUsers)
    let userId = try context.idParameter("userId")
    let restored: AccountUser
    do {
      restored = AccountUser(try await accounts.store.users.restore(userId))
    } catch StoreError.userNotFound {
      throw APIError.userNotFound()
    }
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
