/// Persistence for SmartLamp: the small ``SQLDatabase`` interface with its drivers (``SQLiteDatabase`` on GRDB,
/// ``MariaDBDatabase`` on Connector/C), versioned migrations per dialect recorded in
/// `schema_migrations`, and ONE set of repositories written against ``SQLDatabase`` with methods named for intent.
///
/// Times: epoch-millisecond integers for everything used in arithmetic, ISO-8601 UTC strings in `created_at`,
/// `updated_at` and `deleted_at`, as the upstream schema has them.
public struct Store: Sendable {
  public let database: any SQLDatabase

  public init(database: any SQLDatabase) {
    self.database = database
  }

  /// Opens the SQLite file at `path` (creating it and its folder) and applies every pending migration.
  public static func openSQLite(path: String) async throws -> Store {
    let database = try SQLiteDatabase(path: path)
    try await Migrator(database: database).migrate()
    return Store(database: database)
  }

  /// Connects to MariaDB (checking every setting, see ``MariaDBOpenError``) and applies every pending migration.
  public static func openMariaDB(_ configuration: MariaDBConfiguration) async throws -> Store {
    let database = try await MariaDBDatabase.open(configuration)
    do {
      try await Migrator(database: database).migrate()
    } catch {
      try? await database.close()
      throw error
    }
    return Store(database: database)
  }

  /// One trivial round trip to the database (readiness checks); throws when it is unreachable.
  public func ping() async throws {
    try await database.read { conn in _ = try conn.query("SELECT 1") }
  }

  public var users: UserRepository { UserRepository(database: database) }
  public var sessions: SessionRepository { SessionRepository(database: database) }
  public var devices: DeviceRepository { DeviceRepository(database: database) }
  public var assignments: AssignmentRepository { AssignmentRepository(database: database) }
  public var deviceStates: DeviceStateRepository { DeviceStateRepository(database: database) }
  public var commandLogs: CommandLogRepository { CommandLogRepository(database: database) }
  public var idempotency: IdempotencyRepository { IdempotencyRepository(database: database) }
  public var rateLimits: RateLimitRepository { RateLimitRepository(database: database) }
  public var apiKeys: ApiKeyRepository { ApiKeyRepository(database: database) }
  public var schedules: ScheduleRepository { ScheduleRepository(database: database) }
  public var deviceHistory: DeviceHistoryRepository { DeviceHistoryRepository(database: database) }
  public var lampHistory: LampHistoryRepository { LampHistoryRepository(database: database) }
  public var auditLog: AuditLogRepository { AuditLogRepository(database: database) }
  public var setup: SetupRepository { SetupRepository(database: database) }
}
