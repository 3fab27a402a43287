import Foundation
import GRDB
import Logging
import SmartLampStore

/// Copies of the SQLite database in `<data.dir>/backups`: one taken automatically before a newer binary migrates
/// an older database (an upgrade can then be undone by putting the copy back and starting the old binary), and
/// any taken by `smartlamp backup`. Only the newest `backup.keep` stay.
public enum DatabaseBackup {
  public struct Failure: Error, CustomStringConvertible {
    public let description: String
  }

  /// Before migrating: a copy when the database has applied migrations and this build has more; nil otherwise
  /// (a new database, or one already up to date, needs none).
  @discardableResult
  static func beforeMigrating(_ database: any SQLDatabase, configuration: Configuration, logger: Logger) async throws
    -> String?
  {
    guard configuration.backupKeep > 0, case .sqlite(let path) = configuration.database else { return nil }
    let migrator = try Migrator(database: database)
    let applied = try await migrator.appliedVersions()
    let pending = try await migrator.pendingVersions()
    guard !applied.isEmpty, let next = pending.first else { return nil }
    let copy = try take(databasePath: path, configuration: configuration, label: "before-\(next)")
    logger.notice(
      "backed up the database before migrating",
      metadata: ["backup": .string(copy), "from": .string(applied.last ?? ""), "to": .string(pending.last ?? "")])
    return copy
  }

  /// A consistent copy (`VACUUM INTO`, safe while a server writes), then the oldest beyond `backup.keep` removed.
  public static func take(configuration: Configuration, label: String? = nil) throws -> String {
    guard case .sqlite(let path) = configuration.database else {
      throw Failure(description: "backup covers SQLite databases; back up MariaDB with mariadb-dump")
    }
    guard FileManager.default.fileExists(atPath: path) else {
      throw Failure(description: "no database at \(path)")
    }
    return try take(databasePath: path, configuration: configuration, label: label)
  }

  static func take(databasePath: String, configuration: Configuration, label: String?) throws -> String {
    let folder = folder(configuration)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let stamp = Self.stamp(Date())
    let target = "\(folder)/smartlamp-\(stamp)\(label.map { "-" + $0 } ?? "").sqlite"
    do {
      var options = GRDB.Configuration()
      options.readonly = true
      options.busyMode = .timeout(10)
      let source = try DatabaseQueue(path: databasePath, configuration: options)
      try source.inDatabase { db in try db.execute(sql: "VACUUM INTO ?", arguments: [target]) }
      try source.close()
    } catch {
      throw Failure(description: "cannot back up \(databasePath) to \(target): \(error)")
    }
    _ = chmod(target, 0o600)
    prune(folder: folder, keep: max(1, configuration.backupKeep))
    return target
  }

  public static func folder(_ configuration: Configuration) -> String { configuration.dataDirectory + "/backups" }

  /// The copies in the folder, oldest first (names start with a UTC time stamp, so they sort by age).
  public static func list(_ configuration: Configuration) -> [String] {
    let folder = folder(configuration)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    return names.filter { $0.hasPrefix("smartlamp-") && $0.hasSuffix(".sqlite") }.sorted().map { folder + "/" + $0 }
  }

  private static func prune(folder: String, keep: Int) {
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
      .filter { $0.hasPrefix("smartlamp-") && $0.hasSuffix(".sqlite") }.sorted()
    for name in names.dropLast(keep) { try? FileManager.default.removeItem(atPath: folder + "/" + name) }
  }

  private static func stamp(_ date: Date) -> String {
    let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
    let millis = (parts.nanosecond ?? 0) / 1_000_000
    return String(
      format: "%04d%02d%02dT%02d%02d%02d.%03dZ", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0,
      parts.minute ?? 0, parts.second ?? 0, millis)
  }
}
