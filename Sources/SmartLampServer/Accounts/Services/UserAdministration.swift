import Logging
import SmartLampCore
import SmartLampStore

/// Creating and listing accounts outside HTTP: the CLI and the first-admin bootstrap share these rules
/// (the same field validation as the API, bcrypt for the hash).
public enum UserAdministration {
  public struct Failure: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
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
    let hash = try await hasher.hash(password)
    do {
      return try await UserRepository(database: database).create(
        NewUser(name: name, email: email, passwordHash: hash, role: admin ? .admin : .member))
    } catch StoreError.duplicate {
      throw Failure(message: "a user with email \(email) already exists")
    }
  }

  public static func listUsers(database: any SQLDatabase, includeArchived: Bool) async throws -> [SmartLampStore
    .UserRecord]
  {
    try await UserRepository(database: database).list(includeArchived: includeArchived)
  }
}

/// Creates the first admin from `admin.email`/`admin.password` (SMARTLAMP_ADMIN_*) only while no active admin exists:
/// no backdoor that outlives the bootstrap (upstream-spec §20.1).
enum FirstAdmin {
  static func ensure(configuration: Configuration, database: any SQLDatabase, logger: Logger) async throws {
    guard let email = configuration.adminEmail, let password = configuration.adminPassword else { return }
    let users = UserRepository(database: database)
    guard try await users.countActiveAdmins() == 0 else { return }
    var errors = FieldErrors()
    guard let validEmail = Validation.email(email, into: &errors),
      let validPassword = Validation.password(password, into: &errors)
    else {
      throw StartupError("admin.email/admin.password: \(errors.errors.map { "\($0.key) \($0.value.joined())" })")
    }
    if try await users.byEmail(validEmail) != nil {
      throw StartupError("admin.email: \(validEmail) exists but is not an active admin; promote it with the users API")
    }
    let hash = try await PasswordHasher(cost: configuration.bcryptCost).hash(validPassword)
    let name = String(validEmail.split(separator: "@").first ?? "Administrator")
    if let admin = try await users.createAdminIfNoneExists(
      NewUser(name: name, email: validEmail, passwordHash: hash, role: .admin))
    {
      logger.notice("created the first admin from the environment", metadata: ["user_id": "\(admin.id)"])
    }
  }
}
