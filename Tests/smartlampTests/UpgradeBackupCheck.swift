import Foundation
import SmartLampStore
import TestSupport
import Testing

/// What `smartlamp migrate` must leave after upgrading an older database of either engine (issue #12 item 4):
/// exactly one backup, mode 0600, named after the version it upgrades to, holding the old database whole (it opens
/// as SQLite at `previous` with the household's one admin inside), and no second one once the database is current.
enum UpgradeBackupCheck {
  static func expectOneBackup(dir: TemporaryDirectory, settings: [String], previous: String, latest: String)
    async throws
  {
    let folder = dir.path + "/data/backups"
    let backups = try FileManager.default.contentsOfDirectory(atPath: folder)
    #expect(backups.count == 1, "\(backups)")
    let backup = try #require(backups.first)
    #expect(backup.hasSuffix("-before-\(latest).sqlite"), "\(backup)")
    #expect(try HTTPSTests.mode(folder + "/" + backup) == 0o600)
    // Opened from a copy: opening switches a file to WAL, which would add files to the backup folder.
    try FileManager.default.copyItem(atPath: folder + "/" + backup, toPath: dir.file("restored.sqlite"))
    let copy = try SQLiteDatabase(path: dir.file("restored.sqlite"))
    #expect(try await Migrator(database: copy).appliedVersions().last == previous)
    let users = try await copy.read { conn in try conn.query("SELECT email FROM users").map { try $0.string("email") } }
    #expect(users == ["ibu@rumah.id"])
    try await copy.close()

    let again = try CLI.run(["migrate"] + settings, in: dir.path)
    #expect(again.status == 0)
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: folder).count == 1, "an up-to-date database needs no backup")
  }
}
