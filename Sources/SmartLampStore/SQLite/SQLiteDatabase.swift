import Foundation
import GRDB

/// The embedded driver: a GRDB `DatabasePool` on one SQLite file in WAL mode (concurrent readers, one writer),
/// foreign keys enforced, a busy timeout so a second process (the CLI next to a running server) waits instead
/// of failing at once.
public final class SQLiteDatabase: SQLDatabase {
  public let path: String
  private let pool: DatabasePool

  public var dialect: SQLDialect { .sqlite }

  /// Opens (creating when missing) the database file at `path`, and its parent folder.
  public init(path: String, busyTimeout: TimeInterval = 5, maximumReaderCount: Int = 5) throws {
    self.path = path
    let folder = (path as NSString).deletingLastPathComponent
    if !folder.isEmpty {
      do {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      } catch {
        throw SQLError.connection("cannot create folder \(folder): \(error.localizedDescription)")
      }
    }
    var configuration = Configuration()
    configuration.foreignKeysEnabled = true
    configuration.busyMode = .timeout(busyTimeout)
    configuration.maximumReaderCount = max(1, maximumReaderCount)
    configuration.label = "smartlamp"
    configuration.prepareDatabase { db in
      // WAL with synchronous=NORMAL is durable across application crashes; only a power loss can drop the
      // last transactions, which is the usual trade for an embedded server.
      try db.execute(sql: "PRAGMA synchronous = NORMAL")
    }
    do {
      pool = try DatabasePool(path: path, configuration: configuration)
    } catch let error as DatabaseError {
      throw SQLError.connection("\(path): \(error.message ?? error.description)")
    }
  }

  @discardableResult
  public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
    do {
      return try await pool.read { db in try body(GRDBConnection(db: db)) }
    } catch let error as DatabaseError {
      throw SQLError(error)
    }
  }

  @discardableResult
  public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
    do {
      return try await pool.writeWithoutTransaction { db in
        var result: T?
        // IMMEDIATE takes the write lock at BEGIN, so a read-then-write inside `body` cannot be interleaved with
        // another process's write (the CLI and a server may share the file).
        try db.inTransaction(.immediate) {
          result = try body(GRDBConnection(db: db))
          return .commit
        }
        guard let result else { throw SQLError.engine(code: -1, message: "transaction produced no result") }
        return result
      }
    } catch let error as DatabaseError {
      throw SQLError(error)
    }
  }

  public func close() async throws {
    do {
      try pool.close()
    } catch let error as DatabaseError {
      throw SQLError(error)
    }
  }
}

/// A GRDB `Database` seen through ``SQLConnection``; valid only inside the closure it was given to.
struct GRDBConnection: SQLConnection {
  let db: Database

  var dialect: SQLDialect { .sqlite }

  func query(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow] {
    do {
      let statement = try db.cachedStatement(sql: sql)
      let rows = try Row.fetchAll(statement, arguments: StatementArguments(binds.map(\.databaseValue)))
      return rows.map { row in SQLRow(row.map { name, value in (name, SQLValue(value)) }) }
    } catch let error as DatabaseError {
      throw SQLError(error)
    }
  }

  @discardableResult
  func execute(_ sql: String, _ binds: [SQLValue]) throws -> SQLExecuteResult {
    do {
      try db.execute(sql: sql, arguments: StatementArguments(binds.map(\.databaseValue)))
      return SQLExecuteResult(rowsAffected: db.changesCount, lastInsertID: db.lastInsertedRowID)
    } catch let error as DatabaseError {
      throw SQLError(error)
    }
  }
}

extension SQLValue {
  fileprivate var databaseValue: DatabaseValue {
    switch self {
    case .int64(let v): v.databaseValue
    case .double(let v): v.databaseValue
    case .text(let v): v.databaseValue
    case .blob(let v): v.databaseValue
    case .null: .null
    case .bool(let v): (v ? Int64(1) : Int64(0)).databaseValue
    }
  }

  fileprivate init(_ value: DatabaseValue) {
    switch value.storage {
    case .null: self = .null
    case .int64(let v): self = .int64(v)
    case .double(let v): self = .double(v)
    case .string(let v): self = .text(v)
    case .blob(let v): self = .blob(v)
    }
  }
}

extension SQLError {
  init(_ error: DatabaseError) {
    let message = error.message ?? error.description
    switch error.extendedResultCode {
    case .SQLITE_CONSTRAINT_UNIQUE, .SQLITE_CONSTRAINT_PRIMARYKEY: self = .uniqueViolation(message)
    case .SQLITE_CONSTRAINT_FOREIGNKEY: self = .foreignKeyViolation(message)
    default:
      switch error.resultCode {
      case .SQLITE_CONSTRAINT: self = .constraintViolation(message)
      case .SQLITE_BUSY, .SQLITE_LOCKED: self = .busy(message)
      case .SQLITE_CANTOPEN, .SQLITE_NOTADB, .SQLITE_MISUSE: self = .connection(message)
      default: self = .engine(code: Int(error.extendedResultCode.rawValue), message: message)
      }
    }
  }
}
