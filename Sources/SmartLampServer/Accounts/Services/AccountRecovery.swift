import SmartLampCore
import SmartLampStore

/// What `smartlamp user passwd|role|deactivate|activate` change: the way back in for a household whose only admin
/// forgot the password, run from the shell by whoever can read the database. The same rules as the users API hold
/// (the last active admin stays an active admin; an archived account is restored before it is edited), and each
/// change that alters what someone may do ends that account's sessions in the same transaction.
public enum AccountRecovery {
  public enum Change: Sendable {
    case password(String)
    case role(Role)
    case active(Bool)
  }

  /// The account after the change.
  public struct Outcome: Sendable {
    public let email: String
    public let role: Role
    public let isActive: Bool
    public let isArchived: Bool
  }

  public static func apply(
    _ change: Change, toEmail email: String, database: any SQLDatabase, hasher: PasswordHasher
  ) async throws -> Outcome {
    guard let user = try await UserRepository(database: database).byEmail(email) else {
      throw UserAdministration.Failure(message: "no user with email \(email)")
    }
    let administration = UserAdministration(database: database, passwords: hasher)
    let updated: AccountUser
    do {
      switch change {
      case .password(let password):
        var errors = FieldErrors()
        guard let password = Validation.password(password, into: &errors) else { throw errors }
        updated = try await administration.update(user.id, .init(password: password), by: nil)
        // A forgotten password usually comes with a login lock-out of the account and of the household's own
        // address; whoever can run this at the server's shell is trusted, and the new password should work at once.
        let accountKey = LoginLimiter.keys(ip: "", email: updated.email)[1]
        try await database.write { conn in
          _ = try conn.execute(
            "DELETE FROM rate_limit_hits WHERE rate_key = ? OR rate_key LIKE 'auth_login:%'", [.text(accountKey)])
        }
      case .role(let role):
        updated = try await administration.apply(
          UserChanges(role: role), to: user.id, revokeSessions: role == user.role ? nil : .roleChanged
        ) { check in
          let target = AccountUser(check.user)
          if target.isArchived { throw APIError.rule("Archived user must be restored before editing") }
          if target.role == .admin, role != .admin, target.canAct, try check.otherActiveAdminCount() == 0 {
            throw APIError.rule("The last active admin cannot be demoted or deactivated")
          }
        }
      case .active(true):
        updated = try await administration.restore(user.id)
      case .active(false):
        updated = try await administration.update(user.id, .init(isActive: false), by: nil)
      }
    } catch let error as APIError {
      throw UserAdministration.Failure(message: error.message)
    }
    return Outcome(
      email: updated.email, role: updated.role, isActive: updated.isActive, isArchived: updated.isArchived)
  }
}
