import ArgumentParser
import Foundation
import SmartLampServer
import SmartLampStore

/// `smartlamp backup [FILE]`: a consistent copy of the database (SQLite or MariaDB, safe while the server runs) in
/// SmartLamp's engine-neutral backup format (a SQLite file with SmartLamp's schema), into FILE or into
/// `<data.dir>/backups`, where the newest `backup.keep` copies stay.
struct BackupCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "backup",
    abstract: "Back up the database (SQLite or MariaDB, safe while serving) into FILE or <data.dir>/backups.")

  @OptionGroup var options: ConfigOptions
  @Flag(help: "List the copies in <data.dir>/backups instead of taking one.") var list = false
  @Argument(help: "The backup file to write (must not exist); default: a new file in <data.dir>/backups.")
  var file: String?

  func run() async throws {
    let config = try options.load()
    if list {
      for file in DatabaseBackup.list(config) { print(file) }
      return
    }
    // Never create an empty SQLite file just to back it up.
    if case .sqlite(let path) = config.database, !FileManager.default.fileExists(atPath: path) {
      printError("smartlamp: no database at \(path)")
      throw ExitCode(1)
    }
    let written = try await withStore(config, migrate: false) { database in
      try await reportingBackupErrors("backup failed") {
        try await DatabaseBackup.take(database, configuration: config, file: file)
      }
    }
    print("backed up to \(written)")
  }
}

/// `smartlamp restore FILE`: a backup (of either engine) into the configured database, which must be empty.
struct RestoreCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "restore",
    abstract: "Restore a backup (of SQLite or MariaDB) into the configured, empty database; stop the server first.")

  @OptionGroup var options: ConfigOptions
  @Argument(help: "A file written by `smartlamp backup`.") var file: String

  func run() async throws {
    let config = try options.load()
    guard FileManager.default.fileExists(atPath: file) else {
      printError("smartlamp: no backup at \(file)")
      throw ExitCode(1)
    }
    // A backup from a newer SmartLamp, a damaged file, a database that went away: one line all the same.
    let summary = try await withStore(config, migrate: false) { database in
      try await reportingBackupErrors("cannot restore \(file)") {
        try await DatabaseBackup.restore(from: file, into: database)
      }
    }
    print("restored \(file): \(summary)")
  }
}

/// Runs a backup or restore; any failure is one line (`what` before an unexpected error) and exit status 1.
private func reportingBackupErrors<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
  do {
    return try await body()
  } catch let error as DatabaseBackup.Failure {
    printError("smartlamp: \(error.description)")
    throw ExitCode(1)
  } catch {
    printError("smartlamp: \(what): \(error)")
    throw ExitCode(1)
  }
}
