import SmartLampCore
import SmartLampStore

/// Administering accounts, shared by the users API and `smartlamp user`: creating (unique email, bcrypt), listing,
/// editing, archiving and restoring users, and replacing a member's device assignments. It keeps the rules every
/// caller shares — the last active admin stays an active admin, nobody deactivates or archives their own account,
/// an archived user is restored before being edited — inside the transaction of the change they guard, and after
/// every committed change that can end sessions or change what someone sees it fires ``AccessChanges``, so open
/// sessions and streams follow at once.
public struct UserAdministration: Sendable {
  let store: Store
  let passwords: PasswordHasher
  let accessChanges: AccessChanges

  init(store: Store, passwords: PasswordHasher, accessChanges: AccessChanges) {
    self.store = store
    self.passwords = passwords
    self.accessChanges = accessChanges
  }

  /// What an admin changes on an account; nil members stay as they are.
  struct Edit: Sendable {
    var name: String?
    var email: String?
    var password: String?
    var role: Role?
    var isActive: Bool?
  }

  // MARK: users

  /// Creates an account from checked fields; `409 ALREADY_EXISTS` when the email is taken in any case.
  func create(name: String, email: String, password: String, role: Role, isActive: Bool) async throws -> UserRecord {
    let hash = try await passwords.hash(password)
    do {
      return try await store.users.create(
        NewUser(name: name, email: email, passwordHash: hash, role: role, isActive: isActive))
    } catch StoreError.duplicate {
      throw APIError.alreadyExists("Email already exists", field: "email")
    }
  }

  /// Every account in list order (role, then id); archived ones only when asked.
  func list(includeArchived: Bool) async throws -> [AccountUser] {
    try await store.users.list(includeArchived: includeArchived).map(AccountUser.init)
  }

  /// A page in list order after `after`; `next` is where the following page starts.
  func page(limit: Int, after: UserListPosition?, includeArchived: Bool) async throws
    -> (users: [AccountUser], next: UserListPosition?)
  {
    let page = try await store.users.page(limit: limit, after: after, includeArchived: includeArchived)
    return (page.items.map(AccountUser.init), page.next)
  }

  /// Edits an account for the admin `callerId`. A new password or a deactivation ends the account's sessions in the
  /// same transaction.
  func update(_ id: Int64, _ edit: Edit, by callerId: Int64?) async throws -> AccountUser {
    let hash: String? = if let password = edit.password { try await passwords.hash(password) } else { nil }
    let changes = UserChanges(
      name: edit.name, email: edit.email, passwordHash: hash, role: edit.role, isActive: edit.isActive)
    let revoke: SessionEnd? =
      changes.passwordHash != nil ? .passwordChanged : changes.isActive == false ? .userDisabled : nil
    return try await apply(changes, to: id, revokeSessions: revoke) { check in
      let target = AccountUser(check.user)
      if target.isArchived { throw APIError.rule("Archived user must be restored before editing") }
      let losesAdmin = (changes.role != nil && changes.role != .admin) || changes.isActive == false
      if target.role == .admin, target.canAct, losesAdmin, try check.otherActiveAdminCount() == 0 {
        throw APIError.rule("The last active admin cannot be demoted or deactivated")
      }
      if changes.isActive == false, target.id == callerId {
        throw APIError.rule("You cannot deactivate your own account")
      }
    }
  }

  /// Applies `changes` in one transaction once `check` passed (it may refuse), answers the store's refusals as the
  /// API does, and tells open sessions and streams — a new name or email must not linger in cached principals
  /// either. With `revokeSessions` the account's sessions end in the same transaction, except `keepingFamilyOf`'s.
  func apply(
    _ changes: UserChanges, to id: Int64, revokeSessions: SessionEnd?, keepingFamilyOf keepSessionId: Int64? = nil,
    check: @escaping @Sendable (UserGuard) throws -> Void = { _ in }
  ) async throws -> AccountUser {
    let updated: AccountUser
    do {
      updated = AccountUser(
        try await store.users.update(
          id, changes, protectLastAdmin: false, revokeSessions: revokeSessions, keepingFamilyOf: keepSessionId,
          check: check))
    } catch StoreError.userNotFound {
      throw APIError.userNotFound()
    } catch StoreError.duplicate {
      throw APIError.alreadyExists("Email already exists", field: "email")
    }
    accessChanges.changed()
    return updated
  }

  /// Archives an account for the admin `callerId`: inactive, its schedules paused and its sessions ended.
  func archive(_ id: Int64, by callerId: Int64) async throws -> AccountUser {
    let archived: AccountUser
    do {
      archived = AccountUser(
        try await store.users.archive(id, by: callerId, protectLastAdmin: false) { check in
          let target = AccountUser(check.user)
          if target.id == callerId { throw APIError.rule("You cannot archive your own account") }
          if target.role == .admin, target.canAct, try check.otherActiveAdminCount() == 0 {
            throw APIError.rule("The last active admin cannot be archived")
          }
        })
    } catch StoreError.userNotFound {
      throw APIError.userNotFound()
    }
    accessChanges.changed()
    return archived
  }

  /// Makes an archived or deactivated account active again (its old sessions stay ended).
  func restore(_ id: Int64) async throws -> AccountUser {
    do {
      return AccountUser(try await store.users.restore(id))
    } catch StoreError.userNotFound {
      throw APIError.userNotFound()
    }
  }

  // MARK: assignments

  /// The account and every device, each with the grant the account holds on it (nil when unassigned).
  func assignments(of userId: Int64) async throws -> (user: AccountUser, devices: [DeviceWithGrant]) {
    guard let user = try await store.users.byId(userId).map(AccountUser.init) else { throw APIError.userNotFound() }
    return (user, try await store.assignments.devices(withGrantOf: userId))
  }

  /// Replaces a member's assignments in one transaction (schedules on devices the member may no longer manage are
  /// paused in it); nothing changes when any entry is refused.
  func replaceAssignments(of userId: Int64, with entries: [AssignmentInput], by callerId: Int64?) async throws {
    do {
      _ = try await store.assignments.replaceAll(userId: userId, with: entries, by: callerId)
    } catch let error as StoreError {
      switch error {
      case .userNotFound: throw APIError.userNotFound()
      case .notAMember: throw APIError.rule("Only member users can receive assignments")
      case .userArchived: throw APIError.rule("Archived user must be restored before assignment")
      case .duplicateAssignment(let deviceId):
        throw APIError.rule("Duplicate device assignment", details: ["deviceId": .string(deviceId)])
      case .deviceNotFound(let deviceId): throw APIError.deviceNotFound(deviceId)
      case .invalidGrant(let deviceId):
        throw APIError.rule(
          "Schedule manage requires device control or manage permission", details: ["deviceId": .string(deviceId)])
      default: throw error
      }
    }
    accessChanges.changed()
  }
}

// MARK: - the command line

extension UserAdministration {
  /// Why `smartlamp user create` refused (a taken email).
  public struct Failure: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
  }

  /// Administration over `database` outside the server (no open streams to tell).
  public init(database: any SQLDatabase, passwords: PasswordHasher) {
    self.init(store: Store(database: database), passwords: passwords, accessChanges: AccessChanges())
  }

  /// Validates and creates an account; `FieldErrors` for bad fields, ``Failure`` for a taken email.
  public static func createUser(
    database: any SQLDatabase, email: String, name: String, password: String, admin: Bool, hasher: PasswordHasher
  ) async throws -> SmartLampStore.UserRecord {
    var errors = FieldErrors()
    let email = Validation.email(email, into: &errors)
    let name = Validation.name(name, into: &errors)
    let password = Validation.password(password, into: &errors)
    try errors.throwIfAny()
    guard let email, let name, let password else { throw errors }
    do {
      return try await UserAdministration(database: database, passwords: hasher).create(
        name: name, email: email, password: password, role: admin ? .admin : .member, isActive: true)
    } catch let error as APIError where error.code == "ALREADY_EXISTS" {
      throw Failure(message: "a user with email \(email) already exists")
    }
  }

  public static func listUsers(database: any SQLDatabase, includeArchived: Bool) async throws -> [SmartLampStore
    .UserRecord]
  {
    try await UserRepository(database: database).list(includeArchived: includeArchived)
  }
}
