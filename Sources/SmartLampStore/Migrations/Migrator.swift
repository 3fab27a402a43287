import Foundation

/// Applies pending migrations in version order, each in its own transaction together with its
/// `schema_migrations` row, so a failed migration leaves the database at the previous version. Running it again
/// is a no-op; a database at an older version is upgraded; a database from a newer SmartLamp is refused.
public struct Migrator: Sendable {
  public let database: any SQLDatabase
  public let migrations: [Migration]

  public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
    case unsupportedDialect(SQLDialect)
    /// The database records versions this build does not know (it was migrated by a newer SmartLamp).
    case unknownVersions([String])
    case unknownTarget(String)

    public var description: String {
      switch self {
      case .unsupportedDialect(let d): "no schema for the \(d.rawValue) dialect in this build"
      case .unknownVersions(let v): "database has schema versions unknown to this build: \(v.joined(separator: ", "))"
      case .unknownTarget(let v): "unknown schema version \(v)"
      }
    }
  }

  public init(database: any SQLDatabase) throws(Failure) {
    guard let migrations = Migration.all(for: database.dialect) else {
      throw .unsupportedDialect(database.dialect)
    }
    self.init(database: database, migrations: migrations)
  }

  /// With an explicit list, for tests that stop at an older version.
  public init(database: any SQLDatabase, migrations: [Migration]) {
    self.database = database
    self.migrations = migrations.sorted { $0.version < $1.version }
  }

  /// Applies every pending migration, or those up to and including `target`; returns the versions applied now.
  @discardableResult
  public func migrate(upTo target: String? = nil) async throws -> [String] {
    try await migrateReporting(upTo: target).applied
  }

  /// As ``migrate(upTo:)``, with what the applied migrations' data steps reported.
  public func migrateReporting(upTo target: String? = nil) async throws -> (
    applied: [String], notes: [MigrationNote]
  ) {
    if let target, !migrations.contains(where: { $0.version == target }) { throw Failure.unknownTarget(target) }
    try await createBookkeeping()
    let known = Set(migrations.map(\.version))
    let dialect = database.dialect
    let unknown = try await appliedVersions().filter { !known.contains($0) && !dialect.isForeignVersion($0) }
    guard unknown.isEmpty else { throw Failure.unknownVersions(unknown) }
    var applied: [String] = []
    var notes: [MigrationNote] = []
    for migration in migrations {
      if let target, migration.version > target { break }
      let didApply: [String]? = try await database.write { conn in
        // Checked inside the transaction so two processes migrating at once apply each version once.
        let done = try conn.queryOne(
          "SELECT version FROM schema_migrations WHERE version = ?", [.text(migration.version)])
        guard done == nil else { return nil }
        // MariaDB commits each DDL statement at once, so there this is no transaction: every MariaDB statement is
        // written to be re-run, and a migrate cut off halfway applies the whole version again.
        for statement in migration.statements { try conn.execute(statement) }
        let said = try migration.step?(conn, Timestamp.nowMillis()) ?? []
        switch conn.dialect {
        case .sqlite:
          try conn.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
            [.text(migration.version), .text(Timestamp.iso(Timestamp.nowMillis()))])
        case .mariadb:
          // Upstream's table has `applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP`; ours is the same. IGNORE: a
          // second process may have finished the same version meanwhile.
          try conn.execute("INSERT IGNORE INTO schema_migrations (version) VALUES (?)", [.text(migration.version)])
        }
        return said
      }
      if let said = didApply {
        applied.append(migration.version)
        notes += said.map { MigrationNote(version: migration.version, message: $0) }
      }
    }
    return (applied, notes)
  }

  /// Versions recorded in `schema_migrations`, sorted.
  public func appliedVersions() async throws -> [String] {
    try await createBookkeeping()
    return try await database.read { conn in
      try conn.query("SELECT version FROM schema_migrations ORDER BY version").map { try $0.string("version") }
    }
  }

  /// Versions this build knows but the database has not applied yet.
  public func pendingVersions() async throws -> [String] {
    let applied = Set(try await appliedVersions())
    return migrations.map(\.version).filter { !applied.contains($0) }
  }

  private func createBookkeeping() async throws {
    let sql =
      switch database.dialect {
      case .sqlite:
        "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY NOT NULL, applied_at TEXT NOT NULL)"
      case .mariadb:
        """
        CREATE TABLE IF NOT EXISTS schema_migrations (version VARCHAR(191) NOT NULL PRIMARY KEY,
          applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP) \(MariaDBSchema.table)
        """
      }
    try await database.write { conn in try conn.execute(sql) }
  }
}
