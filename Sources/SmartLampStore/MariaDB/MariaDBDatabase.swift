import NIOPosix
import Synchronization

/// The MariaDB driver: Connector/C connections in a bounded pool; every blocking call runs on a thread pool of its
/// own (one thread per connection), never on Swift's cooperative pool or an event loop.
///
/// A write is one InnoDB transaction at READ COMMITTED (no gap locks; the repositories lock rows they read and
/// then change with `FOR UPDATE`), retried from the start when InnoDB picks it as a deadlock victim. A read is one
/// REPEATABLE READ snapshot. A connection that broke is dropped and the next caller opens a fresh one; a pooled
/// connection found dead when its transaction begins is replaced at once, so a server restart costs the callers
/// that were mid-transaction an error (``SQLError/connection(_:)``) and nobody after.
public final class MariaDBDatabase: SQLDatabase {
  public let configuration: MariaDBConfiguration
  private let pool: MariaDBConnectionPool
  private let threads: NIOThreadPool
  private let closed = Atomic(false)
  /// Transactions re-run after InnoDB rolled them back as a deadlock victim.
  static let deadlockAttempts = 10

  public var dialect: SQLDialect { .mariadb }

  /// Connects once to check every setting (reachable, credentials, database, version, TLS) and keeps that
  /// connection in the pool. Throws ``MariaDBOpenError`` naming the setting to fix.
  public static func open(_ configuration: MariaDBConfiguration) async throws -> MariaDBDatabase {
    let database = MariaDBDatabase(configuration: configuration)
    do {
      let connection: MariaDBConnection = try await database.threads.runIfActive {
        do {
          return try MariaDBConnection(configuration)
        } catch let failure as MariaDBConnectFailure {
          throw MariaDBOpenError(failure, configuration: configuration)
        }
      }
      guard connection.serverVersion >= MariaDBConfiguration.minimumServerVersion else {
        throw MariaDBOpenError(
          setting: "database.url", kind: .tooOld,
          reason: "the server at \(configuration.location) is version \(Self.versionText(connection.serverVersion)); "
            + "SmartLamp needs MariaDB \(Self.versionText(MariaDBConfiguration.minimumServerVersion)) or newer")
      }
      database.pool.adopt(connection)
      return database
    } catch {
      try? await database.close()
      throw error
    }
  }

  private init(configuration: MariaDBConfiguration) {
    self.configuration = configuration
    pool = MariaDBConnectionPool(limit: configuration.poolSize)
    threads = NIOThreadPool(numberOfThreads: configuration.poolSize)
    threads.start()
  }

  static func versionText(_ version: Int) -> String {
    "\(version / 10_000).\(version / 100 % 100).\(version % 100)"
  }

  @discardableResult
  public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
    try await transaction(
      begin: [
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
      ],
      body)
  }

  @discardableResult
  public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws -> T {
    var attempt = 1
    while true {
      do {
        return try await transaction(
          begin: ["SET TRANSACTION ISOLATION LEVEL READ COMMITTED", "START TRANSACTION"], body)
      } catch SQLError.busy(let message) where attempt < Self.deadlockAttempts && message.contains("Deadlock") {
        attempt += 1
      }
    }
  }

  /// Closes every connection and stops the threads; calling it again does nothing.
  public func close() async throws {
    guard closed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
      return
    }
    let idle = pool.close()
    if !idle.isEmpty { try? await threads.runIfActive { withExtendedLifetime(idle) {} } }
    try await threads.shutdownGracefully()
  }

  /// Runs `body` between `begin` and COMMIT on a leased connection (ROLLBACK when it throws); pooled connections
  /// that fail at `begin` are dropped and replaced before giving up.
  private func transaction<T: Sendable>(
    begin: [String], _ body: @escaping @Sendable (any SQLConnection) throws -> T
  ) async throws -> T {
    var staleReplaced = 0
    while true {
      let (connection, fresh) = try await leaseConnection()
      do {
        let result = try await threads.runIfActive { () throws -> T in
          do {
            for statement in begin { try connection.run(statement) }
          } catch {
            throw StaleConnection(error: error)
          }
          do {
            let result = try body(MariaDBSQLConnection(connection: connection))
            try connection.run("COMMIT")
            return result
          } catch {
            if !connection.isBroken { try? connection.run("ROLLBACK") }
            throw error
          }
        }
        pool.release(connection)
        return result
      } catch let stale as StaleConnection {
        giveBack(connection)
        // After a server restart every idle connection is dead: drop each one met, a fresh one never retries.
        if connection.isBroken, !fresh, staleReplaced < configuration.poolSize {
          staleReplaced += 1
          continue
        }
        throw stale.error
      } catch {
        giveBack(connection)
        throw error
      }
    }
  }

  private func giveBack(_ connection: MariaDBConnection) {
    if connection.isBroken { pool.discard() } else { pool.release(connection) }
  }

  /// A pooled connection, or a new one in a free slot; `fresh` tells which.
  private func leaseConnection() async throws -> (MariaDBConnection, fresh: Bool) {
    switch try await pool.lease() {
    case .existing(let connection): return (connection, false)
    case .create:
      do {
        let configuration = configuration
        let connection = try await threads.runIfActive {
          do {
            return try MariaDBConnection(configuration)
          } catch let failure as MariaDBConnectFailure {
            throw failure.sqlError
          }
        }
        return (connection, true)
      } catch {
        pool.discard()
        throw error
      }
    }
  }
}

/// BEGIN failed: on a pooled connection that usually means the server closed it while it sat idle.
private struct StaleConnection: Error {
  let error: any Error
}

/// A leased connection seen through ``SQLConnection``; valid only inside the transaction's closure.
struct MariaDBSQLConnection: SQLConnection {
  let connection: MariaDBConnection

  var dialect: SQLDialect { .mariadb }

  func query(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow] {
    try connection.query(sql, binds)
  }

  @discardableResult
  func execute(_ sql: String, _ binds: [SQLValue]) throws -> SQLExecuteResult {
    try connection.execute(sql, binds)
  }
}

/// Why the database could not be opened at start-up, naming the setting to look at.
public struct MariaDBOpenError: Error, CustomStringConvertible {
  /// Which step of connecting failed (`smartlamp doctor` reports the steps before it as passed).
  public enum Kind: Sendable, Equatable {
    /// No server answered at the address (nothing is known about credentials or the database).
    case unreachable
    /// The server answered but refused the user or password.
    case accessDenied
    /// The login worked but the database does not exist.
    case unknownDatabase
    /// The TLS handshake or the server certificate's check failed.
    case tls
    /// Connected, but the server is older than ``MariaDBConfiguration/minimumServerVersion``.
    case tooOld
    case other
  }

  public let setting: String
  public let kind: Kind
  public let reason: String

  public init(setting: String, kind: Kind = .other, reason: String) {
    self.setting = setting
    self.kind = kind
    self.reason = reason
  }

  init(_ failure: MariaDBConnectFailure, configuration: MariaDBConfiguration) {
    let at = configuration.location
    switch failure.kind {
    case .unreachable:
      self.init(
        setting: "database.url", kind: .unreachable, reason: "cannot reach MariaDB at \(at): \(failure.message)")
    case .accessDenied:
      self.init(
        setting: "database.url", kind: .accessDenied,
        reason: "MariaDB at \(at) refused user '\(configuration.user)': \(failure.message)")
    case .unknownDatabase:
      self.init(
        setting: "database.url", kind: .unknownDatabase,
        reason: "MariaDB at \(at) has no database '\(configuration.database)' (create it first: "
          + "CREATE DATABASE \(configuration.database) CHARACTER SET utf8mb4)")
    case .tls:
      self.init(
        setting: configuration.tlsCAFile == nil ? "database.url" : "database.tls-ca-file", kind: .tls,
        reason: "TLS to MariaDB at \(at) failed: \(failure.message)")
    case .other:
      self.init(setting: "database.url", reason: "cannot connect to MariaDB at \(at): \(failure.message)")
    }
  }

  public var description: String { "\(setting): \(reason)" }
}
