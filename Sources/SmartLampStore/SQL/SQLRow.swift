import Foundation

/// One result row with typed access by column name (case-insensitive). Accessors convert between the
/// representations drivers return for the same column (MariaDB may hand back numbers as text, SQLite booleans
/// as integers) and throw ``SQLError`` when a column is missing or holds something else.
public struct SQLRow: Sendable, Hashable {
  private let values: [String: SQLValue]

  public init(_ columns: [(String, SQLValue)]) {
    var values: [String: SQLValue] = [:]
    for (name, value) in columns where values[name.lowercased()] == nil {
      values[name.lowercased()] = value
    }
    self.values = values
  }

  public var columnNames: [String] { values.keys.sorted() }

  /// The raw value; throws when the column is not in the row.
  public func value(_ column: String) throws(SQLError) -> SQLValue {
    guard let value = values[column.lowercased()] else { throw .columnMissing(column) }
    return value
  }

  public func optionalInt64(_ column: String) throws(SQLError) -> Int64? {
    switch try value(column) {
    case .null: return nil
    case .int64(let v): return v
    case .bool(let b): return b ? 1 : 0
    case .double(let d):
      guard let v = Int64(exactly: d) else { throw .typeMismatch(column, expected: "integer") }
      return v
    case .text(let s):
      guard let v = Int64(s.trimmingCharacters(in: .whitespaces)) else {
        throw .typeMismatch(column, expected: "integer")
      }
      return v
    case .blob: throw .typeMismatch(column, expected: "integer")
    }
  }

  public func int64(_ column: String) throws(SQLError) -> Int64 {
    guard let v = try optionalInt64(column) else { throw .unexpectedNull(column) }
    return v
  }

  public func optionalInt(_ column: String) throws(SQLError) -> Int? {
    guard let v = try optionalInt64(column) else { return nil }
    guard let i = Int(exactly: v) else { throw .typeMismatch(column, expected: "Int") }
    return i
  }

  public func int(_ column: String) throws(SQLError) -> Int {
    guard let v = try optionalInt(column) else { throw .unexpectedNull(column) }
    return v
  }

  public func optionalDouble(_ column: String) throws(SQLError) -> Double? {
    switch try value(column) {
    case .null: return nil
    case .double(let d): return d
    case .int64(let v): return Double(v)
    case .bool(let b): return b ? 1 : 0
    case .text(let s):
      guard let d = Double(s) else { throw .typeMismatch(column, expected: "number") }
      return d
    case .blob: throw .typeMismatch(column, expected: "number")
    }
  }

  public func double(_ column: String) throws(SQLError) -> Double {
    guard let v = try optionalDouble(column) else { throw .unexpectedNull(column) }
    return v
  }

  public func optionalString(_ column: String) throws(SQLError) -> String? {
    switch try value(column) {
    case .null: return nil
    case .text(let s): return s
    case .int64(let v): return String(v)
    case .double(let d): return String(d)
    case .bool(let b): return b ? "1" : "0"
    case .blob(let data):
      guard let s = String(data: data, encoding: .utf8) else { throw .typeMismatch(column, expected: "text") }
      return s
    }
  }

  public func string(_ column: String) throws(SQLError) -> String {
    guard let v = try optionalString(column) else { throw .unexpectedNull(column) }
    return v
  }

  /// 0/1 integers (and `true`/`false` text) as booleans.
  public func optionalBool(_ column: String) throws(SQLError) -> Bool? {
    switch try value(column) {
    case .null: return nil
    case .bool(let b): return b
    case .int64(let v): return v != 0
    case .double(let d): return d != 0
    case .text(let s):
      switch s.lowercased() {
      case "1", "true": return true
      case "0", "false": return false
      default: throw .typeMismatch(column, expected: "boolean")
      }
    case .blob: throw .typeMismatch(column, expected: "boolean")
    }
  }

  public func bool(_ column: String) throws(SQLError) -> Bool {
    guard let v = try optionalBool(column) else { throw .unexpectedNull(column) }
    return v
  }

  public func optionalData(_ column: String) throws(SQLError) -> Data? {
    switch try value(column) {
    case .null: return nil
    case .blob(let d): return d
    case .text(let s): return Data(s.utf8)
    default: throw .typeMismatch(column, expected: "blob")
    }
  }
}
