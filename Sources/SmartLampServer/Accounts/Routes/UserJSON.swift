/// The user summary of UPSTREAM §5.8, as profile and users routes answer it; every key is present, `null`
/// when empty.
struct UserSummary: Encodable, Sendable {
  let id: Int64
  let name: String
  let email: String
  let role: String
  let isActive: Bool
  let createdAt: String
  @NullEncoded var updatedAt: String?
  @NullEncoded var deletedAt: String?
  @NullEncoded var deletedByUserId: Int64?
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
