import Foundation
import ServerTestSupport
import SmartLampStore
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `smartlamp backup FILE` and `smartlamp restore FILE` with the real binary, from and into each engine (issue #9
/// item 5): a household backed up from SQLite or MariaDB restores into an empty database of either engine with
/// every row as it was, its people log in, its API key and schedules work; a database that is not empty is
/// refused, naming what is in it. Upgrading an older MariaDB database takes a backup first, as on SQLite.
@Suite struct BackupRestoreTests {
  struct Pair: Sendable, CustomStringConvertible {
    let from: StoreEngine
    let to: StoreEngine
    var description: String { "\(from)→\(to)" }
  }

  static var pairs: [Pair] { StoreEngine.all.flatMap { from in StoreEngine.all.map { Pair(from: from, to: $0) } } }

  /// A new, empty database of one engine: its `database.url` and a way to open it from the test.
  struct Place: Sendable {
    let url: String
    let open: @Sendable () async throws -> any SQLDatabase
  }

  static func place(_ engine: StoreEngine, dir: TemporaryDirectory, name: String) async throws -> Place {
    switch engine {
    case .sqlite:
      let path = dir.file("\(name).sqlite")
      return Place(url: "sqlite://\(path)", open: { try SQLiteDatabase(path: path) })
    case .mariadb:
      let server = try await MariaDBServer.shared()
      let created = try await server.createDatabase(prefix: name)
      return Place(
        url: created.url,
        open: {
          try await MariaDBDatabase.open(
            MariaDBConfiguration(
              endpoint: .tcp(host: "127.0.0.1", port: server.port), user: server.user, password: server.password,
              database: created.name, poolSize: 2))
        })
    }
  }

  @Test(arguments: pairs) func aBackupRestoresIntoAnEmptyDatabaseOfEitherEngine(pair: Pair) async throws {
    let dir = TemporaryDirectory(prefix: "smartlamp-backup")
    let source = try await Self.place(pair.from, dir: dir, name: "source")
    let target = try await Self.place(pair.to, dir: dir, name: "target")
    let common = ["--set", "auth.bcrypt-cost=4", "--set", "data.dir=\(dir.path)/data"]

    // A household: two people with real password hashes and an API key through the CLI, the rest as SQL.
    for (email, name, admin, password) in [
      ("ibu@rumah.id", "Ibu", true, "rahasia-sekali"), ("budi@rumah.id", "Budi", false, "rahasia-budi-1"),
    ] {
      let created = try CLI.run(
        ["user", "create", "--email", email, "--name", name, "--password-stdin", "--database-url", source.url]
          + (admin ? ["--admin"] : []) + common, in: dir.path, stdin: password + "\n")
      #expect(created.status == 0, "\(created.stderr)")
    }
    let key = try CLI.run(
      [
        "apikey", "create", "--name", "home-assistant", "--scopes", "read,command", "--owner", "ibu@rumah.id",
        "--database-url", source.url,
      ] + common, in: dir.path)
    #expect(key.status == 0, "\(key.stderr)")
    let secret = try #require(
      key.stdout.split(separator: "\n").first { $0.hasPrefix("key (shown once): ") }?
        .dropFirst("key (shown once): ".count))
    let database = try await source.open()
    try await database.write { conn in
      for statement in Self.household { try conn.execute(statement) }
    }
    let before = try await Self.rows(database)
    try await database.close()
    #expect(before.values.allSatisfy { !$0.isEmpty }, "every table holds a row: \(before.filter { $0.value.isEmpty })")

    let file = dir.file("household.backup")
    let backup = try CLI.run(["backup", file, "--database-url", source.url] + common, in: dir.path)
    #expect(backup.status == 0, "\(backup.stderr)")
    #expect(backup.stdout == "backed up to \(file)\n")
    let twice = try CLI.run(["backup", file, "--database-url", source.url] + common, in: dir.path)
    #expect(twice.status == 1 && twice.stderr == "smartlamp: \(file) already exists: choose a new file name\n")

    let restored = try CLI.run(["restore", file, "--database-url", target.url] + common, in: dir.path)
    #expect(restored.status == 0, "\(restored.stderr)")
    #expect(restored.stdout.contains("users 2, devices 1,"), "\(restored.stdout)")
    let restoredDatabase = try await target.open()
    let after = try await Self.rows(restoredDatabase)
    try await restoredDatabase.close()
    for table in PortableBackup.tables {
      #expect(after[table] == before[table], "\(table)")
    }

    // Restoring again is refused in one line naming what the database holds now.
    let refused = try CLI.run(["restore", file, "--database-url", target.url] + common, in: dir.path)
    #expect(refused.status == 1)
    #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
    #expect(
      refused.stderr.hasPrefix("smartlamp: cannot restore \(file): the database is not empty (")
        && refused.stderr.contains("users: 2 rows") && refused.stderr.contains("devices: 1 row,"),
      "\(refused.stderr)")

    // The restored household is served: both people log in, the key works with its scope, schedules and their
    // runs are there, and new rows get new ids.
    let (server, port) = try await Self.serve(target.url, dir: dir, common: common, logs: "serve")
    defer { server.signal(SIGKILL) }
    let ibu = try await APIClient.port(port).login("ibu@rumah.id", "rahasia-sekali")
    let budi = try await APIClient.port(port).login("budi@rumah.id", "rahasia-budi-1")
    let schedule = try await APIClient.port(port).call(.get, "/api/v1/schedules/7", as: .bearer(budi))
    #expect(schedule.status == 200 && schedule.text.contains(#""cron":"0 18 * * *""#), "\(schedule.text)")
    let runs = try await APIClient.port(port).call(.get, "/api/v1/schedules/7/runs", as: .bearer(ibu))
    #expect(runs.status == 200 && runs.text.contains("sch-7-1") && runs.text.contains("sch-7-2"), "\(runs.text)")
    let byKey = try await APIClient.port(port).call(.get, "/api/v1/devices", as: .bearer(String(secret)))
    #expect(byKey.status == 200 && byKey.text.contains(#""id":"teras""#), "\(byKey.text)")
    let keyScope = try await APIClient.port(port).call(
      .delete, "/api/v1/schedules/7", as: .bearer(String(secret)), idempotencyKey: "no-scope")
    #expect(keyScope.status == 403, "the key has no schedule scope: \(keyScope.text)")
    let device = try await APIClient.port(port).call(
      .post, "/api/v1/devices", as: .bearer(ibu), body: .text(#"{"deviceId":"dapur","name":"Dapur"}"#),
      idempotencyKey: "new-lamp")
    #expect(device.status == 201, "\(device.text)")
  }

  /// Starts `smartlamp serve` on `url` (no broker listening) and waits until it answers; logs go to `logs`.out/err.log.
  static func serve(_ url: String, dir: TemporaryDirectory, common: [String], logs: String) async throws -> (
    ChildProcess, Int
  ) {
    let port = freePort()
    let server = try ChildProcess(
      executable: CLI.binary,
      arguments: [
        "serve", "--port", String(port), "--database-url", url, "--set", "dashboard.dir=\(dir.path)",
        "--set", "mqtt.url=mqtt://127.0.0.1:\(freePort())",
      ] + common,
      stdoutPath: dir.file("\(logs).out.log"), stderrPath: dir.file("\(logs).err.log"))
    do {
      try await poll("server ready", timeout: .seconds(60)) {
        await APIClient.port(port).isHealthy()
      }
    } catch {
      server.signal(SIGKILL)
      throw error
    }
    return (server, port)
  }

  /// `smartlamp restore` refuses a database a `smartlamp serve` process is running on, in one line naming it, and
  /// restores once that server was stopped (SIGTERM: it withdrew its presence) or killed (SIGKILL: its presence
  /// row stays, but names a process of this host that is gone). A server started on the empty database also left
  /// a first-run setup code behind, which is not the household's data and does not make the database "not empty".
  @Test(arguments: StoreEngine.all) func restoreRefusesADatabaseAServerIsRunningOn(engine: StoreEngine) async throws {
    let dir = TemporaryDirectory(prefix: "smartlamp-restore-live")
    let source = try await Self.place(engine, dir: dir, name: "source")
    let common = ["--set", "auth.bcrypt-cost=4", "--set", "data.dir=\(dir.path)/data"]
    let created = try CLI.run(
      [
        "user", "create", "--email", "ibu@rumah.id", "--name", "Ibu", "--password-stdin", "--admin", "--database-url",
        source.url,
      ] + common, in: dir.path, stdin: "rahasia-sekali\n")
    #expect(created.status == 0, "\(created.stderr)")
    let file = dir.file("household.backup")
    #expect(try CLI.run(["backup", file, "--database-url", source.url] + common, in: dir.path).status == 0)

    for (round, stop) in [("stopped", SIGTERM), ("killed", SIGKILL)] {
      let target = try await Self.place(engine, dir: dir, name: "target_\(round)")
      let (server, _) = try await Self.serve(target.url, dir: dir, common: common, logs: round)
      defer { server.signal(SIGKILL) }

      let refused = try CLI.run(["restore", file, "--database-url", target.url] + common, in: dir.path)
      #expect(refused.status == 1)
      #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
      #expect(
        refused.stderr.hasPrefix(
          "smartlamp: cannot restore \(file): a server is running on this database (smartlamp serve, pid "
            + "\(server.pid) on this host, seen "), "\(refused.stderr)")
      #expect(refused.stderr.hasSuffix(" s ago): stop it first (systemctl stop smartlamp) and restore again\n"))
      let doctor = try CLI.run(
        ["doctor", "--database-url", target.url, "--mqtt-url", "mqtt://127.0.0.1:\(freePort())"] + common, in: dir.path)
      #expect(
        UpgradeAndDoctorTests.line("servers", in: doctor.stdout).hasPrefix(
          "ok    servers      1 running on this database: pid \(server.pid) on this host (seen "), "\(doctor.stdout)")
      let untouched = try await target.open()
      #expect(try await PortableBackup.nonEmptyTables(untouched).isEmpty, "nothing was restored under the server")
      try await untouched.close()

      server.signal(stop)
      await server.waitForExit()
      let left = try await target.open()
      let presence = try await left.read { conn in try ServerPresenceRepository.rows(conn) }
      try await left.close()
      // A clean stop withdraws the row; a killed server's row stays behind and must not block.
      #expect(presence.count == (stop == SIGKILL ? 1 : 0), "\(round): \(presence)")
      #expect(presence.allSatisfy { $0.pid == server.pid })

      let restored = try CLI.run(["restore", file, "--database-url", target.url] + common, in: dir.path)
      #expect(restored.status == 0, "\(round): \(restored.stderr)")
      #expect(restored.stdout.contains("users 1,"), "\(restored.stdout)")
      let quiet = try CLI.run(
        ["doctor", "--database-url", target.url, "--mqtt-url", "mqtt://127.0.0.1:\(freePort())"] + common, in: dir.path)
      #expect(
        UpgradeAndDoctorTests.line("servers", in: quiet.stdout)
          == "ok    servers      no server is running on this database", "\(quiet.stdout)")
      let after = try await target.open()
      let state = try await after.read { conn in
        try conn.query("SELECT name FROM server_state").map { try $0.string("name") }
      }
      try await after.close()
      #expect(state.isEmpty, "no presence or setup code of the old server: \(state)")
    }
  }

  /// The rest of the household, as SQL both engines take: a lamp (with a name outside the BMP) assigned to the
  /// member, a schedule with two runs, command logs by the member and by the key, a session, device state and
  /// history, a rate-limit window, an idempotency record and a server value.
  static let household = [
    "UPDATE users SET name = 'Budi 🌙', preferences = '{\"language\":\"id\"}' WHERE email = 'budi@rumah.id'",
    """
    INSERT INTO devices (id, device_id, mqtt_device_id, name, location, command_channel, created_at)
    VALUES (4, 'teras', 'teras', 'Teras ☀️', 'Depan', 'POWER', '2026-01-01T00:00:00.000Z')
    """,
    """
    INSERT INTO user_devices (user_id, device_id, role, device_permission, schedule_permission, assigned_by_user_id,
      created_at) SELECT b.id, 4, 'member', 'control', 'manage', i.id, '2026-01-02T00:00:00.000Z'
    FROM users b, users i WHERE b.email = 'budi@rumah.id' AND i.email = 'ibu@rumah.id'
    """,
    """
    INSERT INTO device_schedules (id, user_id, device_id, created_by_user_id, action, cron_expr, timezone, enabled,
      next_run_at, last_run_at, created_at, updated_at)
    SELECT 7, id, 4, id, 'ON', '0 18 * * *', 'Asia/Jakarta', 1, 1893456000000, 1767261600000,
      '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:00.000Z' FROM users WHERE email = 'budi@rumah.id'
    """,
    """
    INSERT INTO schedule_runs (schedule_id, device_id, planned_at, executed_at, request_id, status, reason,
      ack_status, acked_at, ack_latency_ms, created_at)
    VALUES (7, 4, 1767175200000, 1767175200004, 'sch-7-1', 'SUCCESS', NULL, 'ACKED', 1767175200040, 36,
      '2025-12-31T11:00:00.004Z'),
      (7, 4, 1767261600000, 1767261600003, 'sch-7-2', 'FAILED', 'ERROR: broker', NULL, NULL, NULL,
      '2026-01-01T11:00:00.003Z')
    """,
    """
    INSERT INTO command_logs (request_id, user_id, device_id, device_public_id, channel, action, origin, client_id,
      schedule_id, issued_at, expires_at, result, ack_status, acked_at, ack_latency_ms, created_at)
    SELECT 'r-budi', id, 4, 'teras', 'POWER', 'ON', 'user', NULL, NULL, 1767175000000, 1767175003000, 'PUBLISHED',
      'ACKED', 1767175000020, 20, '2025-12-31T10:56:40.000Z' FROM users WHERE email = 'budi@rumah.id'
    """,
    """
    INSERT INTO command_logs (request_id, user_id, device_id, device_public_id, channel, action, origin, client_id,
      issued_at, expires_at, result, ack_status, created_at)
    SELECT 'r-key', NULL, 4, 'teras', 'POWER', 'OFF', 'api_key', id, 1767175100000, 1767175103000, 'PUBLISHED',
      'TIMEOUT', '2025-12-31T10:58:20.000Z' FROM integration_clients WHERE name = 'home-assistant'
    """,
    """
    INSERT INTO auth_sessions (user_id, refresh_token_hash, expires_at, created_at, updated_at, user_agent,
      ip_address, family_id)
    SELECT id, 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90', 1893456000000,
      '2026-01-03T00:00:00.000Z', '2026-01-03T00:00:00.000Z', 'Firefox', '192.168.1.20', 'fam-1'
    FROM users WHERE email = 'ibu@rumah.id'
    """,
    """
    INSERT INTO device_state (device_id, channel, power, online, last_seen_at, rssi, uptime_sec, source, updated_at,
      profile) VALUES (4, 'POWER', 'ON', 1, 1767175000020, -61, 86400, 'device', 1767175000020, 'tasmota')
    """,
    """
    INSERT INTO device_history (device_id, channel, power, source, occurred_at, created_at)
    VALUES (4, 'POWER', 'OFF', 'tasmota_stat_power', 1767176000000, '2025-12-31T11:13:20.000Z')
    """,
    """
    INSERT INTO rate_limit_hits (rate_key, request_count, reset_at, created_at, updated_at)
    VALUES ('command_execute:user:2:127.0.0.1', 3, 1893456000000, '2026-01-03T00:00:00.000Z',
      '2026-01-03T00:00:00.000Z')
    """,
    """
    INSERT INTO idempotency_records (principal, idempotency_key, method, path, route, request_hash, status_code,
      response_body, created_at, expires_at)
    VALUES ('user:2', 'Key-1', 'POST', '/api/v1/commands/execute', 'POST /api/v1/commands/execute',
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 200, '{"success":true}',
      '2026-01-03T00:00:00.000Z', 1893456000000)
    """,
    "INSERT INTO server_state (name, value, updated_at) VALUES ('note', 'kept', 1767175000000)",
  ]

  /// Every row of every table, each as `column=value` text sorted, the rows sorted: equal across engines when the
  /// data is.
  static func rows(_ database: any SQLDatabase) async throws -> [String: [String]] {
    try await database.read { conn in
      var all: [String: [String]] = [:]
      for table in PortableBackup.tables {
        all[table] = try conn.query("SELECT * FROM \(table)").map { row in
          try row.columnNames.map { name in
            let text =
              switch try row.value(name) {
              case .null: "NULL"
              case .int64(let v): "\(v)"
              case .bool(let v): v ? "1" : "0"
              case .double(let v): "\(v)"
              case .text(let v): v
              case .blob(let v): v.base64EncodedString()
              }
            return "\(name)=\(text)"
          }.joined(separator: " ")
        }.sorted()
      }
      return all
    }
  }

  /// Upgrading an older MariaDB database takes a backup first, in the same format: it opens as SQLite at the
  /// previous version with the household inside.
  @Test(.enabled(if: MariaDBServer.isEnabled)) func migratingAnOlderMariaDBDatabaseBacksItUpFirst() async throws {
    let dir = TemporaryDirectory(prefix: "smartlamp-upgrade")
    let place = try await Self.place(.mariadb, dir: dir, name: "older")
    let old = try await place.open()
    let all = try Migrator(database: old).migrations.map(\.version)
    let previous = try #require(all.dropLast().last)
    try await Migrator(database: old).migrate(upTo: previous)
    try await old.write { conn in
      try conn.execute(
        "INSERT INTO users (name, email, password_hash, role, is_active, created_at) "
          + "VALUES ('Ibu', 'ibu@rumah.id', 'x', 'admin', 1, '2026-01-01T00:00:00.000Z')")
    }
    try await old.close()

    let settings = ["--database-url", place.url, "--set", "data.dir=\(dir.path)/data", "--set", "backup.keep=2"]
    let migrated = try CLI.run(["migrate"] + settings, in: dir.path)
    #expect(migrated.status == 0, "\(migrated.stderr)")
    try await UpgradeBackupCheck.expectOneBackup(
      dir: dir, settings: settings, previous: previous, latest: try #require(all.last))
  }
}
