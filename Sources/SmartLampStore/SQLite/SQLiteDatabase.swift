import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// The embedded driver: a GRDB `DatabasePool` on one SQLite file in WAL mode (concurrent readers, one writer),
/// foreign keys enforced, a busy timeout so a second process (the CLI next to a running server) waits instead
/// of failing at once.
///
/// Reads and writes run on GRDB's queues. A write of a latency-critical request (``SQLWritePriority``) runs
/// inline on the calling task's thread instead, skipping the two thread switches of the hop — but only while no
/// other write of this process is under way and no other process holds the lock; otherwise it queues like any
/// other, so a waiting write never holds one of the few threads of Swift's cooperative pool (the busy timeout can
/// be seconds). Everything else stays off the cooperative pool, where inline work would delay other tasks.
public final class SQLiteDatabase: SQLDatabase {
  public let path: String
  private let pool: DatabasePool
  private let busyTimeoutMilliseconds: CInt
  /// Writes of this process queued on, or running through, GRDB's writer queue.
  private let writesUnderWay = Atomic(0)
  /// Writes that found another process holding the lock and were queued instead, and writes that ran inline
  /// (for tests).
  let writesDeferredByLock = Atomic(0)
  let writesRunInline = Atomic(0)

  public var dialect: SQLDialect { .sqlite }

  /// Opens (creating when missing) the database file at `path`, and its parent folder.
  public init(path: String, busyTimeout: TimeInterval = 5, maximumReaderCount: Int = 5) throws {
    self.path = path
    busyTimeoutMilliseconds = CInt(busyTimeout * 1000)
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
      if SQLWritePriority.latencyCritical, case .done(let result) = try writeInline(body) { return result }
      writesUnderWay.add(1, ordering: .acquiringAndReleasing)
      defer { writesUnderWay.subtract(1, ordering: .acquiringAndReleasing) }
      return try await pool.writeWithoutTransaction { db in try Self.transaction(db, body, began: {}) }
    } catch let error as DatabaseError {
      throw SQLError(error)
    }
  }

  private enum InlineWrite<T> {
    case done(T)
    /// Another write is under way or another process holds the lock: queue instead of waiting on this thread.
    case deferred
  }

  private func writeInline<T: Sendable>(_ body: @Sendable (any SQLConnection) throws -> T) throws -> InlineWrite<T> {
    guard writesUnderWay.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged else {
      return .deferred
    }
    defer { writesUnderWay.subtract(1, ordering: .acquiringAndReleasing) }
    return try pool.writeWithoutTransaction { db in
      let connection = db.sqliteConnection
      sqlite3_busy_timeout(connection, 0)
      defer { sqlite3_busy_timeout(connection, busyTimeoutMilliseconds) }
      var began = false
      do {
        let result = try Self.transaction(db, body, began: { began = true })
        writesRunInline.add(1, ordering: .relaxed)
        return .done(result)
      } catch let error as DatabaseError where !began && error.resultCode == .SQLITE_BUSY {
        writesDeferredByLock.add(1, ordering: .relaxed)
        return .deferred
      }
    }
  }

  /// Runs `body` in one `BEGIN IMMEDIATE` transaction; `began` is called once the write lock is held.
  private static func transaction<T: Sendable>(
    _ db: Database, _ body: @Sendable (any SQLConnection) throws -> T, began: () -> Void
  ) throws -> T {
    var result: T?
    // IMMEDIATE takes the write lock at BEGIN, so a read-then-write inside `body` cannot be interleaved with
    // another process's write (the CLI and a server may share the file).
    try db.inTransaction(.immediate) {
      began()
      result = try body(GRDBConnection(db: db))
      return .commit
    }
    guard let result else { throw SQLError.engine(code: -1, message: "transaction produced no result") }
    return result
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
      let arguments = StatementArguments(binds.map(\.databaseValue))
      // A prepared statement is kept per SQL text: the same few statements run on every request. Scripts of
      // several statements (migrations) cannot be cached and run as they are.
      if let statement = try? db.cachedStatement(sql: sql) {
        try statement.execute(arguments: arguments)
      } else {
        try db.execute(sql: sql, arguments: arguments)
      }
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
      // SQLITE_FULL: the file system has no room for the write (ENOSPC) or the database hit its page limit.
      case .SQLITE_FULL: self = .storageFull(message)
      default: self = .engine(code: Int(error.extendedResultCode.rawValue), message: message)
      }
    }
  }
}

/// Marks the writes of a request whose answer someone is waiting on (a lamp command): a driver may run them on the
/// calling thread when that costs no waiting (see ``SQLiteDatabase``).
public enum SQLWritePriority {
  @TaskLocal public static var latencyCritical = false
}
