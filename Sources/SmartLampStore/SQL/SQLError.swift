/// A failure of the SQL layer, the same for every driver so repositories can react to constraint violations
/// without knowing the engine.
public enum SQLError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A UNIQUE or PRIMARY KEY constraint refused the row.
  case uniqueViolation(String)
  /// A FOREIGN KEY constraint refused the change.
  case foreignKeyViolation(String)
  /// Another constraint (NOT NULL, CHECK) refused the change.
  case constraintViolation(String)
  /// The database stayed locked longer than the busy timeout.
  case busy(String)
  /// Could not open or reach the database.
  case connection(String)
  /// The database's disk (or the engine's size limit) is full: nothing can be written until space is freed, but
  /// reads still work and nothing already written is harmed.
  case storageFull(String)
  /// Any other engine error.
  case engine(code: Int, message: String)
  /// A row had no such column.
  case columnMissing(String)
  /// A column held NULL where a value was required.
  case unexpectedNull(String)
  /// A column held a value of another type.
  case typeMismatch(String, expected: String)

  /// The database could not be reached or stayed locked: worth retrying later, not a bug.
  public var isUnavailable: Bool {
    switch self {
    case .connection, .busy, .storageFull: true
    default: false
    }
  }

  public var description: String {
    switch self {
    case .uniqueViolation(let m): "unique constraint violated: \(m)"
    case .foreignKeyViolation(let m): "foreign key constraint violated: \(m)"
    case .constraintViolation(let m): "constraint violated: \(m)"
    case .busy(let m): "database busy: \(m)"
    case .connection(let m): "database unavailable: \(m)"
    case .storageFull(let m): "database storage full: \(m)"
    case .engine(let code, let m): "database error \(code): \(m)"
    case .columnMissing(let c): "column \(c) missing from row"
    case .unexpectedNull(let c): "column \(c) is NULL"
    case .typeMismatch(let c, let expected): "column \(c) is not \(expected)"
    }
  }
}
