import SmartLampCore
import SmartLampStore

/// An account as the accounts services work with it (an empty stored name reads as the email's local part).
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
