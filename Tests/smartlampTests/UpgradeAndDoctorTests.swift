import Foundation
import SmartLampStore
import TestSupport
import Testing

/// Upgrades take a backup before migrating an older database; `smartlamp doctor` names each broken part with its
/// fix, against a real Mosquitto.
@Suite struct UpgradeAndDoctorTests {
  @Test func migratingAnOlderDatabaseBacksItUpFirstAndKeepsTheNewest() async throws {
    let dir = TemporaryDirectory(prefix: "smartlamp-upgrade")
    let path = dir.file("lamp.sqlite")
    // The previous release's database: every migration but the last one, with a household in it.
    let old = try SQLiteDatabase(path: path)
    let all = try Migrator(database: old).migrations.map(\.version)
    let previous = try #require(all.dropLast().last)
    try await Migrator(database: old).migrate(upTo: previous)
    try await old.write { conn in
      try conn.execute(
        "INSERT INTO users (name, email, password_hash, role, is_active, created_at) "
          + "VALUES ('Ibu', 'ibu@rumah.id', 'x', 'admin', 1, '2026-01-01T00:00:00.000Z')")
    }
    try await old.close()

    let settings = [
      "--database-url", "sqlite://\(path)", "--set", "data.dir=\(dir.path)/data", "--set", "backup.keep=2",
    ]
    let migrated = try CLI.run(["migrate"] + settings, in: dir.path)
    #expect(migrated.status == 0, "\(migrated.stderr)")
    #expect(migrated.stdout.contains(all.last!))
    try await UpgradeBackupCheck.expectOneBackup(
      dir: dir, settings: settings, previous: previous, latest: try #require(all.last))
    for _ in 0..<3 {
      let manual = try CLI.run(["backup"] + settings, in: dir.path)
      #expect(manual.status == 0, "\(manual.stderr)")
    }
    let listed = try CLI.run(["backup", "--list"] + settings, in: dir.path)
    #expect(listed.stdout.split(separator: "\n").count == 2, "backup.keep=2 keeps the newest two: \(listed.stdout)")
    #expect(!listed.stdout.contains("-before-"), "the oldest copy went first")
  }

  @Test func doctorOnAHealthyHouseholdAndOnEachBrokenPart() async throws {
    try await MosquittoBroker.with(
      username: "smartlamp", password: "broker-secret", deniedSubscriptions: ["home/+/lwt"]
    ) {
      broker in
      let dir = TemporaryDirectory(prefix: "smartlamp-doctor")
      let tls = dir.path + "/tls"
      #expect(try CLI.run(["cert", "--host", "lampu.local", "--dir", tls], in: dir.path).status == 0)
      let config = dir.file("config.json")
      try """
      {"database": {"url": "sqlite://\(dir.path)/lamp.sqlite"}, "data": {"dir": "\(dir.path)/data"},
       "mqtt": {"url": "\(broker.url(.tcp))", "username": "smartlamp", "password": "broker-secret"},
       "http": {"tls-cert-file": "\(tls)/server.crt", "tls-key-file": "\(tls)/server.key"}}
      """.write(toFile: config, atomically: true, encoding: .utf8)
      _ = chmod(config, 0o600)
      let base = ["--config", config]

      let missing = try CLI.run(["doctor"] + base, in: dir.path)
      #expect(missing.status == 1)
      #expect(Self.line("database", in: missing.stdout).hasPrefix("FAIL"), "\(missing.stdout)")
      #expect(Self.line("database", in: missing.stdout).contains("fix: "))

      #expect(try CLI.run(["migrate"] + base, in: dir.path).status == 0)
      let refused = try CLI.run(["doctor"] + base, in: dir.path)
      #expect(Self.line("database", in: refused.stdout).hasPrefix("ok"), "\(refused.stdout)")
      #expect(Self.line("broker", in: refused.stdout).hasPrefix("ok"), "\(refused.stdout)")
      #expect(Self.line("subscribe", in: refused.stdout).hasPrefix("FAIL"))
      #expect(Self.line("subscribe", in: refused.stdout).contains("home/+/lwt"))
      #expect(Self.line("https cert", in: refused.stdout).hasPrefix("ok"))
      #expect(Self.line("https cert", in: refused.stdout).contains("valid until"))
      #expect(Self.line("clock", in: refused.stdout).hasPrefix("ok"))
      #expect(Self.line("disk", in: refused.stdout).contains("MiB free"))
      #expect(refused.status == 1)

      try await broker.allowSubscriptions(["home/+/lwt"])
      let healthy = try CLI.run(["doctor"] + base, in: dir.path)
      #expect(healthy.status == 0, "\(healthy.stdout)\(healthy.stderr)")
      #expect(!healthy.stdout.contains("FAIL") && !healthy.stdout.contains("WARN"), "\(healthy.stdout)")

      let wrongPassword = try CLI.run(["doctor"] + base + ["--set", "mqtt.password=not-it"], in: dir.path)
      #expect(wrongPassword.status == 1)
      #expect(Self.line("broker", in: wrongPassword.stdout).contains("mosquitto_passwd"), "\(wrongPassword.stdout)")
      let noBroker = try CLI.run(["doctor"] + base + ["--mqtt-url", "mqtt://127.0.0.1:\(freePort())"], in: dir.path)
      #expect(Self.line("broker", in: noBroker.stdout).contains("start the broker"), "\(noBroker.stdout)")

      _ = chmod(config, 0o644)
      let loose = try CLI.run(["doctor"] + base, in: dir.path)
      #expect(Self.line("config", in: loose.stdout).hasPrefix("WARN"))
      #expect(Self.line("config", in: loose.stdout).contains("chmod 600"))
      _ = chmod(config, 0o600)

      // A clock behind what the database has already seen (a board without a real-time clock after a reboot).
      let database = try SQLiteDatabase(path: dir.path + "/lamp.sqlite")
      try await database.write { conn in
        try conn.execute(
          "INSERT INTO users (name, email, password_hash, role, is_active, created_at, updated_at) "
            + "VALUES ('Ibu', 'ibu@rumah.id', 'x', 'admin', 1, '2099-01-01T00:00:00.000Z', '2099-01-01T00:00:00.000Z')")
      }
      try await database.close()
      let skewed = try CLI.run(["doctor"] + base, in: dir.path)
      #expect(Self.line("clock", in: skewed.stdout).hasPrefix("FAIL"), "\(skewed.stdout)")
      #expect(Self.line("clock", in: skewed.stdout).contains("NTP"))

      let badSetting = try CLI.run(["doctor"] + base + ["--set", "http.port=nope"], in: dir.path)
      #expect(badSetting.status == 1)
      #expect(Self.line("config", in: badSetting.stdout).contains("http.port"))
    }
  }

  /// The doctor's line for `check` (its name is the second column).
  static func line(_ check: String, in output: String) -> String {
    output.split(separator: "\n").map(String.init).first {
      $0.dropFirst(6).hasPrefix(check.padding(toLength: max(12, check.count), withPad: " ", startingAt: 0))
    } ?? "(no \(check) line)"
  }
}
