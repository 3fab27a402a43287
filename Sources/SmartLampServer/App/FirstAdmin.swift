import Logging
import SmartLampCore
import SmartLampStore

/// Creates the first admin from `admin.email`/`admin.password` (SMARTLAMP_ADMIN_*) only while no active admin exists:
/// no backdoor that outlives the bootstrap (UPSTREAM §20.1).
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
