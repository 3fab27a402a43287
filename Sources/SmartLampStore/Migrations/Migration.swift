/// One schema version: an ordered list of single SQL statements for one dialect. Versions are sorted by name and
/// never edited once released; both dialects use the same version names.
public struct Migration: Sendable, Hashable {
  public let version: String
  public let statements: [String]

  public init(version: String, statements: [String]) {
    self.version = version
    self.statements = statements
  }

  /// Every migration of `dialect`, oldest first; nil while a dialect has no schema yet.
  public static func all(for dialect: SQLDialect) -> [Migration]? {
    switch dialect {
    case .sqlite: SQLiteSchema.migrations
    case .mariadb: nil
    }
  }
}
