import Foundation
import GRDB

/// SmartLamp's engine-neutral backup: a SQLite database file with SmartLamp's schema (its `schema_migrations` says
/// which version) holding every row of the source, ids included. A SQLite database is backed up by copying it
/// (`VACUUM INTO`); any other engine by ``write(from:to:)``, which reads every table in ONE consistent snapshot
/// (MariaDB: a REPEATABLE READ transaction started `WITH CONSISTENT SNAPSHOT` on the server's own connection), so
/// a backup of a running server is a single point in time. ``restore(from:into:)`` loads such a file into an empty
/// database of either engine, so a backup of either engine restores into either engine; an older backup is
/// migrated to this build's schema first.
public enum PortableBackup {
  public struct Failure: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
  }

  /// Rows per table, in copy order.
  public struct Summary: Sendable, Equatable, CustomStringConvertible {
    public var version: String
    public var rows: [(table: String, count: Int)]

    public static func == (a: Summary, b: Summary) -> Bool {
      a.version == b.version && a.rows.map(\.table) == b.rows.map(\.table) && a.rows.map(\.count) == b.rows.map(\.count)
    }

    public var description: String {
      "schema \(version); " + rows.map { "\($0.table) \($0.count)" }.joined(separator: ", ")
    }
  }

  /// Every table holding SmartLamp's data, parents before children; `schema_migrations` is each database's own.
  public static let tables = [
    "users", "devices", "user_devices", "integration_clients", "device_schedules", "schedule_runs", "command_logs",
    "idempotency_records", "rate_limit_hits", "auth_sessions", "device_state", "device_history", "server_state",
  ]
  /// Rows read per query from a table with an `id` (keyset paging, so a large log is never held in memory at once).
  static let pageSize = 2000
  /// Rows per INSERT statement.
  static let insertBatch = 100

  /// Writes a backup of `source` into the new file `path` (refused when it exists) at `source`'s schema version.
  /// The file appears under its name only when complete.
  @discardableResult
  public static func write(from source: any SQLDatabase, to path: String) async throws -> Summary {
    guard !FileManager.default.fileExists(atPath: path) else { throw Failure("\(path) already exists") }
    let known = Set(Migration.all(for: .sqlite)?.map(\.version) ?? [])
    let applied = try await Migrator(database: source).appliedVersions().filter(known.contains)
    guard let version = applied.last else {
      throw Failure("the database has no SmartLamp schema yet (run smartlamp migrate first)")
    }
    let partial = path + ".partial"
    try? FileManager.default.removeItem(atPath: partial)
    do {
      let folder = (path as NSString).deletingLastPathComponent
      if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
      let schema = try SQLiteDatabase(path: partial)
      do {
        try await Migrator(database: schema).migrate(upTo: version)
        try await schema.close()
      } catch {
        try? await schema.close()
        throw error
      }
      let rows = try await source.read { conn in
        let target = try DatabaseQueue(path: partial)
        defer { try? target.close() }
        return try target.write { db in try copyTables(from: conn, to: GRDBConnection(db: db)) }
      }
      // One self-contained file: no WAL beside it.
      let queue = try DatabaseQueue(path: partial)
      try await queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
      try queue.close()
      _ = chmod(partial, 0o600)
      try FileManager.default.moveItem(atPath: partial, toPath: path)
      return Summary(version: version, rows: rows)
    } catch {
      for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: partial + suffix) }
      throw error
    }
  }

  /// Loads the backup at `path` into `target`, which must be empty (no rows in any table but `schema_migrations`;
  /// otherwise ``Failure`` names the tables that hold rows). The target is migrated to this build's schema, the
  /// backup (a copy of it) too, then every row is copied in one transaction with the foreign keys checked at the
  /// end (SQLite) or after the copy of a consistent source (MariaDB).
  @discardableResult
  public static func restore(from path: String, into target: any SQLDatabase) async throws -> Summary {
    guard FileManager.default.fileExists(atPath: path) else { throw Failure("no backup at \(path)") }
    try refuseRunningServers(try await ServerPresenceRepository(database: target).running())
    let occupied = try await nonEmptyTables(target)
    guard occupied.isEmpty else {
      throw Failure(
        "the database is not empty ("
          + occupied.map { "\($0.table): \($0.count) row\($0.count == 1 ? "" : "s")" }.joined(separator: ", ")
          + "); restore needs an empty database")
    }
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
      "smartlamp-restore-\(UUID().uuidString)"
    ).path
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    let copy = scratch + "/backup.sqlite"
    try FileManager.default.copyItem(atPath: path, toPath: copy)
    let backup: SQLiteDatabase
    do {
      backup = try SQLiteDatabase(path: copy)
    } catch {
      throw Failure("\(path) is not a SmartLamp backup (not a SQLite database)")
    }
    do {
      let isSmartLamp = try await backup.read { conn in
        try conn.queryOne(
          "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('schema_migrations', 'users')")?
          .int("n") == 2
      }
      guard isSmartLamp else { throw Failure("\(path) is not a SmartLamp backup (no SmartLamp schema in it)") }
      try await Migrator(database: backup).migrate()
      try await backup.close()
    } catch {
      try? await backup.close()
      throw error
    }
    try await Migrator(database: target).migrate()
    let version = try await Migrator(database: target).appliedVersions().last ?? ""
    let rows = try await target.write { conn in
      // A server started meanwhile is refused too; what stopped or killed ones left behind is not data.
      try refuseRunningServers(try ServerPresenceRepository.running(conn))
      try conn.execute("DELETE FROM server_state WHERE \(transientServerState)")
      let source = try DatabaseQueue(path: copy, configuration: readOnly)
      defer { try? source.close() }
      switch conn.dialect {
      case .sqlite:
        // Checked at COMMIT: a session row may point at a newer one (`replaced_by_session_id`).
        try conn.execute("PRAGMA defer_foreign_keys = ON")
        return try source.read { db in try copyTables(from: GRDBConnection(db: db), to: conn) }
      case .mariadb:
        // Session-wide on a pooled connection: switched back on before the connection is returned.
        try conn.execute("SET FOREIGN_KEY_CHECKS = 0")
        do {
          let rows = try source.read { db in try copyTables(from: GRDBConnection(db: db), to: conn) }
          try conn.execute("SET FOREIGN_KEY_CHECKS = 1")
          return rows
        } catch {
          _ = try? conn.execute("SET FOREIGN_KEY_CHECKS = 1")
          throw error
        }
      }
    }
    return Summary(version: version, rows: rows)
  }

  /// `server_state` rows that describe a server process rather than the household: its presence (a killed
  /// server's stays behind) and a first-run setup code (a server started on the empty database wrote it). A
  /// restore replaces them; a backup never carries a presence row.
  static let transientServerState =
    "name LIKE '\(ServerPresenceRepository.namePrefix)%' OR name = '\(SetupRepository.codeName)'"

  /// One line naming the servers to stop before restoring.
  static func refuseRunningServers(_ running: [ServerPresenceRepository.Presence]) throws {
    guard !running.isEmpty else { return }
    let now = Timestamp.nowMillis()
    let here = ServerPresenceRepository.localHost
    let servers = running.map { server in
      "smartlamp serve, pid \(server.pid) on \(server.host == here ? "this host" : server.host), "
        + "seen \(max(0, now - server.renewedAt) / 1000) s ago"
    }
    throw Failure(
      "a server is running on this database (\(servers.joined(separator: "; "))): stop it first "
        + "(systemctl stop smartlamp) and restore again")
  }

  /// Tables of `database` (SmartLamp's or any other) that hold rows, `schema_migrations` aside; in `server_state`
  /// only rows about the household count (not ``transientServerState``).
  public static func nonEmptyTables(_ database: any SQLDatabase) async throws -> [(table: String, count: Int)] {
    try await database.read { conn in
      let names =
        switch conn.dialect {
        case .sqlite:
          try conn.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
          )
          .map { try $0.string("name") }
        case .mariadb:
          try conn.query(
            """
            SELECT table_name AS name FROM information_schema.tables
            WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name
            """
          ).map { try $0.string("name") }
        }
      return try names.filter { $0 != "schema_migrations" }.compactMap { name in
        let quoted = conn.dialect == .mariadb ? "`\(name)`" : "\"\(name)\""
        let household = name == "server_state" ? " WHERE NOT (\(transientServerState))" : ""
        let count = try conn.queryOne("SELECT COUNT(*) AS n FROM \(quoted)\(household)")?.int("n") ?? 0
        return count > 0 ? (name, count) : nil
      }
    }
  }

  private static var readOnly: GRDB.Configuration {
    var configuration = GRDB.Configuration()
    configuration.readonly = true
    return configuration
  }

  /// Copies every table's rows from `source` to `target` (both at the same schema version), keeping ids. The
  /// columns are the target's; a column the source lacks is an error naming it.
  static func copyTables(from source: any SQLConnection, to target: any SQLConnection) throws -> [(
    table: String, count: Int
  )] {
    try tables.map { table in
      let columns = try self.columns(of: table, target)
      let list = columns.joined(separator: ", ")
      let hasId = columns.contains("id")
      var count = 0
      var after: Int64?
      while true {
        let rows: [SQLRow]
        do {
          if hasId {
            rows = try source.query(
              "SELECT \(list) FROM \(table) WHERE id > ? ORDER BY id \(source.dialect.limit(pageSize))",
              [.int64(after ?? Int64.min)])
          } else if table == "server_state" {
            rows = try source.query(
              "SELECT \(list) FROM \(table) WHERE name NOT LIKE '\(ServerPresenceRepository.namePrefix)%'")
          } else {
            rows = try source.query("SELECT \(list) FROM \(table)")
          }
        } catch SQLError.engine(_, let message) {
          throw Failure("cannot read \(table) from the source: \(message)")
        }
        for start in stride(from: 0, to: rows.count, by: insertBatch) {
          let batch = rows[start..<min(start + insertBatch, rows.count)]
          let tuple = "(\(target.dialect.placeholders(columns.count)))"
          try target.execute(
            "INSERT INTO \(table) (\(list)) VALUES \(Array(repeating: tuple, count: batch.count).joined(separator: ", "))",
            try batch.flatMap { row in try columns.map { try row.value($0) } })
        }
        count += rows.count
        guard hasId, rows.count == pageSize, let last = rows.last else { break }
        after = try last.int64("id")
      }
      return (table, count)
    }
  }

  static func columns(of table: String, _ conn: any SQLConnection) throws -> [String] {
    switch conn.dialect {
    case .sqlite:
      try conn.query("PRAGMA table_info(\(table))").map { try $0.string("name") }
    case .mariadb:
      try conn.query(
        """
        SELECT column_name AS name FROM information_schema.columns
        WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position
        """, [.text(table)]
      ).map { try $0.string("name") }
    }
  }
}
