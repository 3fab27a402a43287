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

  /// With `database.url=mariadb://…` the doctor checks each step against the real server the harness runs: it
  /// answers (and its version), the login, TLS as configured, the database and its schema version; a wrong
  /// password, an unknown database and a port nobody listens on each fail on their own line, naming the setting.
  @Test(.enabled(if: MariaDBServer.isEnabled)) func doctorChecksEachStepOfReachingMariaDB() async throws {
    let server = try await MariaDBServer.shared()
    let created = try await server.createDatabase(prefix: "doctor")
    let dir = TemporaryDirectory(prefix: "smartlamp-doctor")
    // No broker: its line fails, which these checks do not look at.
    let common = ["--set", "data.dir=\(dir.path)/data", "--mqtt-url", "mqtt://127.0.0.1:\(freePort())"]
    let secure = common + ["--set", "database.tls-ca-file=\(server.caFile)"]

    let fresh = try CLI.run(["doctor", "--database-url", created.url] + secure, in: dir.path)
    #expect(Self.line("db server", in: fresh.stdout).hasPrefix("ok    db server    MariaDB 1"), "\(fresh.stdout)")
    #expect(Self.line("db server", in: fresh.stdout).contains("127.0.0.1:\(server.port)"))
    #expect(Self.line("db login", in: fresh.stdout).hasPrefix("ok"), "\(fresh.stdout)")
    #expect(Self.line("db tls", in: fresh.stdout).hasPrefix("ok"), "\(fresh.stdout)")
    #expect(Self.line("db tls", in: fresh.stdout).contains("TLSv1."), "\(fresh.stdout)")
    #expect(Self.line("db tls", in: fresh.stdout).contains("verified against \(server.caFile)"))
    #expect(Self.line("database", in: fresh.stdout).hasPrefix("WARN"), "\(fresh.stdout)")
    #expect(Self.line("database", in: fresh.stdout).contains("migration(s) pending"))
    #expect(Self.line("database", in: fresh.stdout).contains("smartlamp migrate"))

    #expect(try CLI.run(["migrate", "--database-url", created.url] + common, in: dir.path).status == 0)
    let migrated = try CLI.run(["doctor", "--database-url", created.url] + secure, in: dir.path)
    let latest = try #require(Migration.all(for: .mariadb)?.last?.version)
    #expect(
      Self.line("database", in: migrated.stdout) == "ok    database     '\(created.name)' at \(latest), all "
        + "migrations applied", "\(migrated.stdout)")
    #expect(Self.line("backups", in: migrated.stdout).hasPrefix("ok"))
    #expect(Self.line("clock", in: migrated.stdout).hasPrefix("ok"))
    #expect(!migrated.stdout.split(separator: "\n").contains { $0.hasPrefix("FAIL  d") }, "\(migrated.stdout)")
    // Without a CA file on this machine the link is fine either way; the line says what is used.
    let plain = try CLI.run(["doctor", "--database-url", created.url] + common, in: dir.path)
    #expect(Self.line("db tls", in: plain.stdout).hasPrefix("ok"), "\(plain.stdout)")
    #expect(Self.line("db tls", in: plain.stdout).contains("(the server is on this machine)"))

    let wrongPassword = try CLI.run(
      ["doctor", "--database-url", created.url.replacingOccurrences(of: server.password, with: "not-it")] + common,
      in: dir.path)
    #expect(wrongPassword.status == 1)
    #expect(Self.line("db server", in: wrongPassword.stdout).hasPrefix("ok"), "\(wrongPassword.stdout)")
    #expect(Self.line("db login", in: wrongPassword.stdout).hasPrefix("FAIL"), "\(wrongPassword.stdout)")
    #expect(Self.line("db login", in: wrongPassword.stdout).contains("refused user 'smartlamp'"))
    #expect(
      Self.line("db login", in: wrongPassword.stdout).contains("fix: correct the user and password in database.url"))
    #expect(Self.line("database", in: wrongPassword.stdout) == "(no database line)", "not reached")

    let unknown = try CLI.run(
      ["doctor", "--database-url", created.url.replacingOccurrences(of: created.name, with: "no_such_db")] + common,
      in: dir.path)
    #expect(unknown.status == 1)
    #expect(Self.line("db login", in: unknown.stdout).hasPrefix("ok"), "\(unknown.stdout)")
    #expect(
      Self.line("database", in: unknown.stdout)
        == "FAIL  database     MariaDB at 127.0.0.1:\(server.port) has no database 'no_such_db' — fix: CREATE "
        + "DATABASE no_such_db CHARACTER SET utf8mb4, or correct the name in database.url", "\(unknown.stdout)")

    let closedPort = freePort()
    let unreachable = try CLI.run(
      ["doctor", "--database-url", "mariadb://smartlamp:x@127.0.0.1:\(closedPort)/\(created.name)"] + common,
      in: dir.path)
    #expect(unreachable.status == 1)
    #expect(Self.line("db server", in: unreachable.stdout).hasPrefix("FAIL"), "\(unreachable.stdout)")
    #expect(Self.line("db server", in: unreachable.stdout).contains("cannot reach MariaDB at 127.0.0.1:\(closedPort)"))
    #expect(
      Self.line("db server", in: unreachable.stdout).contains(
        "fix: start MariaDB (systemctl start mariadb) or correct the host and port in database.url"))
    #expect(Self.line("db login", in: unreachable.stdout) == "(no db login line)", "not reached")
    try await server.dropDatabase(created.name)
  }

  /// The doctor's line for `check` (its name is the second column).
  static func line(_ check: String, in output: String) -> String {
    output.split(separator: "\n").map(String.init).first {
      $0.dropFirst(6).hasPrefix(check.padding(toLength: max(12, check.count), withPad: " ", startingAt: 0))
    } ?? "(no \(check) line)"
  }
}
