import SmartLampCore
import SmartLampStore

/// A user as the accounts routes answer it (an empty stored name reads as the email's local part).
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

  init(_ record: UserRecord) {
    id = record.id
    email = record.email
    name = record.name.isEmpty ? String(record.email.split(separator: "@").first ?? "") : record.name
    passwordHash = record.passwordHash
    role = record.role
    isActive = record.isActive
    createdAt = record.createdAt
    updatedAt = record.updatedAt
    deletedAt = record.deletedAt
    deletedByUserId = record.deletedByUserId
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
