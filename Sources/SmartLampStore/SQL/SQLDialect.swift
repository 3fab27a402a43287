/// The SQL engines the store speaks. Only the few clauses that differ between engines live here; repositories
/// build those clauses through these helpers and otherwise write portable SQL with `?` placeholders.
public enum SQLDialect: String, Sendable, Hashable, CaseIterable {
  case sqlite
  case mariadb

  /// `INSERT … VALUES (…)` that silently skips a row whose unique key already exists; `rowsAffected` tells
  /// whether it was inserted (1) or skipped (0).
  public func insertIgnore(into table: String, columns: [String]) -> String {
    let head =
      switch self {
      case .sqlite: "INSERT OR IGNORE INTO"
      case .mariadb: "INSERT IGNORE INTO"
      }
    return "\(head) \(table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders(columns.count)))"
  }

  /// `INSERT … VALUES (…)` that, when `conflictColumns` (a unique key) already exist, overwrites `updateColumns`
  /// with the new values.
  public func upsert(
    into table: String, columns: [String], conflictColumns: [String], updateColumns: [String]
  ) -> String {
    let insert = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders(columns.count)))"
    switch self {
    case .sqlite:
      let set = updateColumns.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
      let target = conflictColumns.joined(separator: ", ")
      return updateColumns.isEmpty
        ? "\(insert) ON CONFLICT(\(target)) DO NOTHING" : "\(insert) ON CONFLICT(\(target)) DO UPDATE SET \(set)"
    case .mariadb:
      let set =
        updateColumns.isEmpty
        ? "\(conflictColumns[0]) = \(conflictColumns[0])"
        : updateColumns.map { "\($0) = VALUES(\($0))" }.joined(separator: ", ")
      return "\(insert) ON DUPLICATE KEY UPDATE \(set)"
    }
  }

  /// `LIMIT n` (both engines), kept here so a dialect with `FETCH FIRST` can be added without touching callers.
  public func limit(_ count: Int) -> String { "LIMIT \(max(0, count))" }

  /// Appended to a SELECT inside a write transaction that reads a row it is about to change. SQLite needs nothing
  /// (the write transaction already holds the database's only write lock); InnoDB needs a row lock.
  public var lockForUpdate: String {
    switch self {
    case .sqlite: ""
    case .mariadb: " FOR UPDATE"
    }
  }

  /// `?, ?, ?` for `count` values.
  public func placeholders(_ count: Int) -> String {
    Array(repeating: "?", count: max(count, 0)).joined(separator: ", ")
  }
}
