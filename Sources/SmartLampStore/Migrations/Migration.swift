/// One schema version: an ordered list of single SQL statements for one dialect, and optionally a data step in
/// Swift. Versions are sorted by name and never edited once released; both dialects use the same version names.
public struct Migration: Sendable {
  public let version: String
  public let statements: [String]
  /// Data changes that must report what they did (the log of `smartlamp migrate` and of start-up): runs after
  /// `statements` in the same write transaction, at `now` (epoch ms), and returns one line per thing done. On
  /// MariaDB a version's DDL commits on its own, so a step must also be safe to run again.
  public let step: (@Sendable (_ conn: any SQLConnection, _ now: Int64) throws -> [String])?

  public init(
    version: String, statements: [String],
    step: (@Sendable (_ conn: any SQLConnection, _ now: Int64) throws -> [String])? = nil
  ) {
    self.version = version
    self.statements = statements
    self.step = step
  }

  /// Every migration of `dialect`, oldest first; nil for a dialect without a schema.
  public static func all(for dialect: SQLDialect) -> [Migration]? {
    switch dialect {
    case .sqlite: SQLiteSchema.migrations
    case .mariadb: MariaDBSchema.migrations
    }
  }
}

/// Something a migration did that the person upgrading should hear about (logged at start-up and by
/// `smartlamp migrate`).
public struct MigrationNote: Sendable, Hashable, CustomStringConvertible {
  public let version: String
  public let message: String

  public var description: String { "\(version): \(message)" }
}

extension SQLDialect {
  /// Versions another system wrote into `schema_migrations` that this build accepts without applying: upstream's
  /// MariaDB runner records its file names (`0001_schema.sql`, …), and its schema is our 0001's starting point.
  func isForeignVersion(_ version: String) -> Bool {
    switch self {
    case .sqlite: false
    case .mariadb: MariaDBSchema.isUpstreamVersion(version)
    }
  }
}
