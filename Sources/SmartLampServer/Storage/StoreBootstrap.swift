import Foundation
import Logging
import SmartLampStore

/// Why the server cannot start; printed as one line before exiting.
public struct StartupError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// Opens the configured database and brings its schema up to date.
public enum StoreBootstrap {
  public static func open(configuration: Configuration, logger: Logger) async throws -> any SQLDatabase {
    let database = try await connect(configuration: configuration)
    do {
      try await DatabaseBackup.beforeMigrating(database, configuration: configuration, logger: logger)
    } catch {
      try? await database.close()
      throw StartupError("no migration without a backup: \(error)")
    }
    do {
      let (applied, notes) = try await Migrator(database: database).migrateReporting()
      if !applied.isEmpty {
        logger.notice("applied migrations", metadata: ["versions": .string(applied.joined(separator: ","))])
      }
      // What a migration changed that the household should know (an upstream key deactivated or re-owned).
      for note in notes {
        logger.warning("\(note.message)", metadata: ["migration": .string(note.version)])
      }
    } catch {
      try? await database.close()
      throw StartupError("database migration failed: \(error)")
    }
    return database
  }

  /// Opens the configured database without migrating it (`smartlamp backup` and `restore`); start-up problems
  /// are one line naming the setting.
  public static func connect(configuration: Configuration) async throws -> any SQLDatabase {
    let database: any SQLDatabase
    switch configuration.database {
    case .mariadb:
      let mariadb = mariaDBConfiguration(configuration)!
      do {
        database = try await MariaDBDatabase.open(mariadb)
      } catch let error as MariaDBOpenError {
        throw StartupError(error.description)
      } catch {
        throw StartupError("database.url: cannot open MariaDB at \(mariadb.location): \(error)")
      }
    case .sqlite(let path):
      do {
        database = try SQLiteDatabase(path: path)
      } catch {
        throw StartupError("database.url: cannot open SQLite database at \(path): \(error)")
      }
    }
    return database
  }

  /// The driver's settings for `database.url=mariadb://…` (nil for SQLite).
  public static func mariaDBConfiguration(_ configuration: Configuration) -> MariaDBConfiguration? {
    guard case .mariadb(let host, let port, let user, let password, let name, let socket) = configuration.database
    else { return nil }
    return MariaDBConfiguration(
      endpoint: socket.map { .socket(path: $0) } ?? .tcp(host: host, port: port), user: user, password: password,
      database: name, tlsCAFile: configuration.databaseTLSCAFile)
  }

  /// Versions recorded in `schema_migrations`.
  public static func appliedVersions(_ database: any SQLDatabase) async throws -> [String] {
    try await Migrator(database: database).appliedVersions()
  }
}
