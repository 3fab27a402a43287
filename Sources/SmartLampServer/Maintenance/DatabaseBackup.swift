import Foundation
import GRDB
import Logging
import SmartLampStore

/// Backups in SmartLamp's engine-neutral format (``PortableBackup``: a SQLite file with SmartLamp's schema, so a
/// backup of either engine restores into either engine) in `<data.dir>/backups`: one taken automatically before a
/// newer binary migrates an older database (an upgrade can then be undone by restoring it and starting the old
/// binary), and any taken by `smartlamp backup`. Only the newest `backup.keep` stay in that folder.
public enum DatabaseBackup {
  public struct Failure: Error, CustomStringConvertible {
    public let description: String
  }

  /// Before migrating: a copy when the database has applied SmartLamp migrations and this build has more; nil
  /// otherwise (a new database, one already up to date, or an upstream database SmartLamp never migrated, whose
  /// schema is not yet SmartLamp's: back that one up with its own tools first).
  @discardableResult
  static func beforeMigrating(_ database: any SQLDatabase, configuration: Configuration, logger: Logger) async throws
    -> String?
  {
    guard configuration.backupKeep > 0 else { return nil }
    let migrator = try Migrator(database: database)
    let known = Set(migrator.migrations.map(\.version))
    let applied = try await migrator.appliedVersions().filter(known.contains)
    let pending = try await migrator.pendingVersions()
    guard !applied.isEmpty, let next = pending.first else { return nil }
    let copy = try await take(database, configuration: configuration, label: "before-\(next)")
    logger.notice(
      "backed up the database before migrating",
      metadata: ["backup": .string(copy), "from": .string(applied.last ?? ""), "to": .string(pending.last ?? "")])
    return copy
  }

  /// A consistent copy into the backups folder, then the oldest beyond `backup.keep` removed. SQLite is read from
  /// its file (`VACUUM INTO`, safe while a server writes); other engines through `database`.
  static func take(_ database: any SQLDatabase, configuration: Configuration, label: String? = nil) async throws
    -> String
  {
    let folder = folder(configuration)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let target = "\(folder)/smartlamp-\(Self.stamp(Date()))\(label.map { "-" + $0 } ?? "").sqlite"
    try await write(database, configuration: configuration, to: target)
    prune(folder: folder, keep: max(1, configuration.backupKeep))
    return target
  }

  /// `smartlamp backup [FILE]`: into FILE (which must not exist), or into the backups folder.
  public static func take(_ database: any SQLDatabase, configuration: Configuration, file: String?) async throws
    -> String
  {
    guard let file else { return try await take(database, configuration: configuration, label: nil) }
    guard !FileManager.default.fileExists(atPath: file) else {
      throw Failure(description: "\(file) already exists: choose a new file name")
    }
    try await write(database, configuration: configuration, to: file)
    return file
  }

  /// `smartlamp restore FILE`: the backup into the configured database, which must be empty.
  public static func restore(from file: String, into database: any SQLDatabase) async throws
    -> PortableBackup.Summary
  {
    do {
      return try await PortableBackup.restore(from: file, into: database)
    } catch let failure as PortableBackup.Failure {
      throw Failure(description: "cannot restore \(file): \(failure.description)")
    }
  }

  private static func write(_ database: any SQLDatabase, configuration: Configuration, to target: String)
    async throws
  {
    switch configuration.database {
    case .sqlite(let path):
      try vacuum(databasePath: path, into: target)
    case .mariadb:
      do {
        try await PortableBackup.write(from: database, to: target)
      } catch let failure as PortableBackup.Failure {
        throw Failure(description: "cannot back up to \(target): \(failure.description)")
      }
    }
  }

  private static func vacuum(databasePath: String, into target: String) throws {
    guard FileManager.default.fileExists(atPath: databasePath) else {
      throw Failure(description: "no database at \(databasePath)")
    }
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
