import SmartLampCore
import SmartLampStore

/// One `users` row.
struct AccountUser: Sendable, Equatable {
  var id: Int64
  var name: String
  var email: String
  var passwordHash: String
  var role: Role
  var isActive: Bool
  var createdAt: String
  var updatedAt: String?
  var deletedAt: String?
  var deletedByUserId: Int64?

  var isArchived: Bool { deletedAt != nil }
  /// Active and not archived: may log in, and its tokens and keys work.
  var canAct: Bool { isActive && !isArchived }

  static let columns =
    "u.id, u.name, u.email, u.password_hash, u.role, u.is_active, u.created_at, u.updated_at, u.deleted_at, u.deleted_by_user_id"

  init(row: SQLRow) throws {
    id = try row.int64("id")
    email = try row.string("email")
    let stored = try row.optionalString("name") ?? ""
    name = stored.isEmpty ? String(email.split(separator: "@").first ?? "") : stored
    passwordHash = try row.string("password_hash")
    role = Role(storedValue: try row.optionalString("role") ?? "member")
    isActive = try row.optionalBool("is_active") ?? true
    createdAt = try row.optionalString("created_at") ?? ""
    updatedAt = try row.optionalString("updated_at")
    deletedAt = try row.optionalString("deleted_at")
    deletedByUserId = try row.optionalInt64("deleted_by_user_id")
  }

  var principal: UserPrincipal { UserPrincipal(id: id, email: email, name: name, role: role) }
}

/// The user summary of upstream-spec §5.8, as profile and users routes answer it.
struct UserSummary: Encodable, Sendable, Equatable {
  let id: Int64
  let name: String
  let email: String
  let role: String
  let isActive: Bool
  let createdAt: String
  let updatedAt: String?
  let deletedAt: String?
  let deletedByUserId: Int64?
  let isArchived: Bool

  init(_ user: AccountUser) {
    id = user.id
    name = user.name
    email = user.email
    role = user.role.rawValue
    isActive = user.isActive
    createdAt = user.createdAt
    updatedAt = user.updatedAt
    deletedAt = user.deletedAt
    deletedByUserId = user.deletedByUserId
    isArchived = user.isArchived
  }

  func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(id, forKey: .id)
    try c.encode(name, forKey: .name)
    try c.encode(email, forKey: .email)
    try c.encode(role, forKey: .role)
    try c.encode(isActive, forKey: .isActive)
    try c.encode(createdAt, forKey: .createdAt)
    try c.encode(updatedAt, forKey: .updatedAt)
    try c.encode(deletedAt, forKey: .deletedAt)
    try c.encode(deletedByUserId, forKey: .deletedByUserId)
    try c.encode(isArchived, forKey: .isArchived)
  }

  enum CodingKeys: String, CodingKey {
    case id, name, email, role, isActive, createdAt, updatedAt, deletedAt, deletedByUserId, isArchived
  }
}

/// The `{ id, name, email, role }` user of login and refresh answers.
struct LoginUser: Encodable, Sendable {
  let id: Int64
  let name: String
  let email: String
  let role: String

  init(_ user: AccountUser) {
    id = user.id
    name = user.name
    email = user.email
    role = user.role.rawValue
  }
}
