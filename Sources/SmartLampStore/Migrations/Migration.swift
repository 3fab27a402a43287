/// One schema version: an ordered list of single SQL statements for one dialect. Versions are sorted by name and
/// never edited once released; both dialects use the same version names.
public struct Migration: Sendable, Hashable {
  public let version: String
  public let statements: [String]

  public init(version: String, statements: [String]) {
    self.version = version
    self.statements = statements
  }

  /// Every migration of `dialect`, oldest first; nil for a dialect without a schema.
  public static func all(for dialect: SQLDialect) -> [Migration]? {
    switch dialect {
    case .sqlite: SQLiteSchema.migrations
    case .mariadb: MariaDBSchema.migrations
    }
  }
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
