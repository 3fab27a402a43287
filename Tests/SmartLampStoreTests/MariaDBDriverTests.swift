import Foundation
import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

/// The MariaDB driver against a real server: URL forms, TLS, start-up errors, the pool's bounds and threads,
/// reconnection, and the migrations (fresh, re-run after a crash, upgrade of an upstream database).
@Suite(.enabled(if: MariaDBServer.isEnabled)) struct MariaDBDriverTests {
  struct Marker: Error, Equatable { let value: Int }

  func configuration(
    _ server: MariaDBServer, database: String, endpoint: MariaDBConfiguration.Endpoint? = nil, password: String? = nil,
    tlsCAFile: String? = nil, poolSize: Int = 4
  ) -> MariaDBConfiguration {
    MariaDBConfiguration(
      endpoint: endpoint ?? .tcp(host: "127.0.0.1", port: server.port), user: server.user,
      password: password ?? server.password, database: database, tlsCAFile: tlsCAFile, poolSize: poolSize)
  }

  @Test func freshSchemaHasEveryTableAndColumn() async throws {
    let fixture = try await StoreFixture(.mariadb)
    for (table, expected) in MigrationTests.expectedColumns {
      let columns = try await fixture.database.read { conn in
        try conn.query(
          "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?",
          [.text(table)]
        ).map { try $0.string("name") }
      }
      #expect(Set(columns) == Set(expected), "\(table)")
    }
    let engines = try await fixture.database.read { conn in
      try conn.query(
        "SELECT DISTINCT engine, table_collation FROM information_schema.tables WHERE table_schema = DATABASE()"
      ).map { "\(try $0.string("engine")) \(try $0.string("table_collation"))" }
    }
    #expect(engines == ["InnoDB utf8mb4_unicode_ci"])
  }

  /// MariaDB commits every DDL statement on its own: a migrate cut off anywhere must be able to run again. Every
  /// statement of every version is run twice in a row (a crash right before recording the version), then the
  /// migrator runs over the result.
  @Test func everyMigrationStatementCanRunAgain() async throws {
    let server = try await MariaDBServer.shared()
    let created = try await server.createDatabase()
    let database = try await MariaDBDatabase.open(configuration(server, database: created.name))
    for migration in Migration.all(for: .mariadb) ?? [] {
      for statement in migration.statements {
        try await database.write { conn in try conn.execute(statement) }
        try await database.write { conn in try conn.execute(statement) }
      }
    }
    let applied = try await Migrator(database: database).migrate()
    #expect(applied == Migration.all(for: .mariadb)?.map(\.version))
    let store = Store(database: database)
    _ = try await store.users.create(NewUser(name: "A", email: "a@example.com", passwordHash: "h", role: .admin))
    #expect(try await store.users.byEmail("A@EXAMPLE.COM")?.role == .admin)
    try await database.close()
  }

  /// An upstream database (its own schema_migrations, MariaDB's default constraint names) upgrades in place and
  /// keeps every row, with the same results as SQLite's upgrade of the same data.
  @Test func upstreamDatabaseUpgradesInPlace() async throws {
    let server = try await MariaDBServer.shared()
    let created = try await server.createDatabase(prefix: "upstream")
    try await server.client(UpstreamMariaDBFixture.sql, database: created.name)
    let store = try await Store.openMariaDB(configuration(server, database: created.name))
    defer { Task { try? await store.database.close() } }
    let applied = try await Migrator(database: store.database).appliedVersions()
    #expect(applied.contains("0001_schema.sql") && applied.contains("0007_keys_and_leases"))
    #expect(try await Migrator(database: store.database).pendingVersions().isEmpty)
    #expect(try await Migrator(database: store.database).migrate().isEmpty, "a second migrate is a no-op")

    let admin = try await store.users.byEmail(UpstreamMariaDBFixture.adminEmail)
    #expect(admin?.id == 1 && admin?.role == .admin)
    #expect(admin?.passwordHash.hasPrefix("$2b$12$") == true)
    #expect(try await store.users.byEmail(UpstreamMariaDBFixture.memberEmail)?.passwordHash.hasPrefix("pbkdf2") == true)
    #expect(try await store.users.byEmail(UpstreamMariaDBFixture.legacyEmail)?.id == 3)

    #expect(try await store.devices.byPublicId("lampu-teras")?.id == 9)
    #expect(
      try await store.assignments.grant(userId: 2, deviceId: "lampu-ruang-tamu")
        == DeviceGrant(devicePermission: .control, schedulePermission: .manage))
    #expect(try await store.assignments.grant(userId: 1, deviceId: "lampu-ruang-tamu") == .full)

    let logs = try await store.commandLogs.page(limit: 10)
    #expect(Set(logs.items.map(\.requestId)) == ["req-1", "req-2", "sched-21-1"])
    let byKey = logs.items.first { $0.requestId == "req-2" }
    #expect(byKey?.origin == .apiKey && byKey?.deviceId == "lampu-teras" && byKey?.channel == "POWER2")
    #expect(logs.items.allSatisfy { $0.ackStatus == AckStatus.none })

    // 0007: the household's keys act for the oldest active admin with their scopes (upstream's `*` written out as
    // the three scopes it meant); the public demo key is deactivated.
    let demo = try await store.apiKeys.byHash(UpstreamMariaDBFixture.apiKeyHash)
    #expect(demo?.isActive == false && demo?.revokedAt != nil && demo?.ownerUserId == nil)
    let homeAssistant = try await store.apiKeys.byHash(UpstreamMariaDBFixture.homeAssistantKeyHash)
    #expect(homeAssistant?.ownerUserId == 1 && homeAssistant?.isUsable(now: 0) == true)
    #expect(homeAssistant?.scopes == APIScopes([.read, .command]))
    let nodeRed = try await store.apiKeys.byHash(UpstreamMariaDBFixture.nodeRedKeyHash)
    #expect(nodeRed?.ownerUserId == 1 && nodeRed?.scopes == APIScopes([.read, .command, .schedule]))
    #expect(nodeRed?.scopes.isWildcard == false)

    let legacy = try await store.idempotency.find(principal: "legacy", key: "idem-1", now: -1)
    #expect(legacy?.statusCode == 200)
    #expect(
      try await store.sessions.byRefreshHash(
        "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100")?.familyId == "legacy-7")

    // Command logs outlive their device now, as on SQLite.
    #expect(try await store.devices.delete("lampu-ruang-tamu"))
    let kept = try await store.commandLogs.byRequestId("req-1")
    #expect(kept?.deviceId == "lampu-ruang-tamu" && kept?.deviceInternalId == nil)
    let upstreamRows = try await store.database.read { conn in
      try conn.queryOne("SELECT COUNT(*) AS n FROM schedule_runs")?.int("n")
    }
    #expect(upstreamRows == 2)
  }

  /// Migration 0007 on an upstream database whose only admin was demoted: the keys stay without an owner (they
  /// authenticate and may do nothing) and the migration says so; the demo key is still deactivated.
  @Test func upstreamKeysWithoutAnAdminStayOwnerlessAndTheMigrationSaysSo() async throws {
    let server = try await MariaDBServer.shared()
    let created = try await server.createDatabase(prefix: "noadmin")
    try await server.client(
      UpstreamMariaDBFixture.sql + "\nUPDATE users SET role = 'member' WHERE id = 1;", database: created.name)
    let database = try await MariaDBDatabase.open(configuration(server, database: created.name))
    defer { Task { try? await database.close() } }
    let (applied, notes) = try await Migrator(database: database).migrateReporting()
    #expect(applied.last == "0007_keys_and_leases")
    let said = notes.filter { $0.version == "0007_keys_and_leases" }.map(\.message)
    #expect(said.count == 2, "\(said)")
    #expect(said.contains { $0.hasPrefix("deactivated upstream's public demo API key 'demo-client'") }, "\(said)")
    #expect(
      said.contains {
        $0.hasPrefix("2 upstream API key(s) stay without an owner because the database has no active admin")
          && $0.contains("'home-assistant' (id 2)") && $0.contains("'node-red' (id 3)")
      }, "\(said)")
    let store = Store(database: database)
    #expect(try await store.apiKeys.byHash(UpstreamMariaDBFixture.homeAssistantKeyHash)?.ownerUserId == nil)
    #expect(try await store.apiKeys.byHash(UpstreamMariaDBFixture.apiKeyHash)?.isActive == false)
    #expect(try await Migrator(database: database).migrateReporting().notes.isEmpty, "said once")
  }

  @Test func unixSocketAndTLSConnect() async throws {
    let server = try await MariaDBServer.shared()
    let created = try await server.createDatabase()
    let socket = try await MariaDBDatabase.open(
      configuration(server, database: created.name, endpoint: .socket(path: server.socketPath)))
    let viaSocket = try await socket.read { conn in try conn.queryOne("SELECT DATABASE() AS db")?.string("db") }
    #expect(viaSocket == created.name)
    try await socket.close()

    let tls = try await MariaDBDatabase.open(configuration(server, database: created.name, tlsCAFile: server.caFile))
    let cipher = try await tls.read { conn in
      try conn.queryOne("SHOW SESSION STATUS LIKE 'Ssl_cipher'")?.string("Value")
    }
    #expect(cipher?.isEmpty == false)
    try await tls.close()

    // A CA that did not sign the server's certificate: refused, naming the TLS setting.
    let otherCA = TemporaryDirectory(prefix: "smartlamp-otherca")
    try await runTool(
      "/usr/bin/openssl",
      [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-keyout",
        otherCA.file("ca.key"), "-out", otherCA.file("ca.crt"), "-subj", "/CN=other-CA",
      ])
    await #expect {
      try await MariaDBDatabase.open(configuration(server, database: created.name, tlsCAFile: otherCA.file("ca.crt")))
    } throws: { error in
      (error as? MariaDBOpenError)?.setting == "database.tls-ca-file"
    }
  }

  @Test func startupErrorsNameTheProblem() async throws {
    let server = try await MariaDBServer.shared()
    let created = try await server.createDatabase()
    func openError(_ configuration: MariaDBConfiguration) async -> MariaDBOpenError? {
      do {
        let database = try await MariaDBDatabase.open(configuration)
        try? await database.close()
        return nil
      } catch {
        return error as? MariaDBOpenError
      }
    }
    let unreachable = await openError(
      configuration(server, database: created.name, endpoint: .tcp(host: "127.0.0.1", port: freePort())))
    #expect(unreachable?.setting == "database.url")
    #expect(unreachable?.reason.hasPrefix("cannot reach MariaDB at 127.0.0.1:") == true)

    let denied = await openError(configuration(server, database: created.name, password: "wrong"))
    #expect(denied?.reason.contains("refused user 'smartlamp'") == true)

    let unknown = await openError(configuration(server, database: "no_such_db"))
    #expect(unknown?.reason.contains("has no database 'no_such_db'") == true)
    #expect(unknown.map { !$0.description.contains(server.password) } == true, "never the password")
  }

  /// The caller's own errors leave a transaction unchanged (and roll it back); engine errors become SQLError.
  @Test func callerErrorsPassThroughAndRollBack() async throws {
    let fixture = try await StoreFixture(.mariadb)
    await #expect(throws: Marker(value: 7)) {
      try await fixture.database.write { conn in
        try conn.execute(
          "INSERT INTO server_state (name, value, updated_at) VALUES ('x', 'y', 1)")
        throw Marker(value: 7)
      }
    }
    #expect(try await fixture.count("server_state") == 0)
    await #expect(throws: SQLError.self) {
      try await fixture.database.write { conn in try conn.execute("INSERT INTO no_such_table VALUES (1)") }
    }
  }

  /// Never more connections than the pool size, and every blocking call on the driver's own threads (NIOThreadPool
  /// names them `TP-#n`), not on Swift's cooperative pool.
  @Test func poolIsBoundedAndRunsOnItsOwnThreads() async throws {
    let server = try await MariaDBServer.shared()
    let created = try await server.createDatabase()
    let database = try await MariaDBDatabase.open(configuration(server, database: created.name, poolSize: 2))
    let name = created.name
    let observed = try await withThrowingTaskGroup(of: (Int, String).self) { group in
      for _ in 0..<8 {
        group.addTask {
          try await database.read { conn in
            _ = try conn.query("SELECT SLEEP(0.05) AS s")
            let open =
              try conn.queryOne(
                "SELECT COUNT(*) AS n FROM information_schema.processlist WHERE db = ?", [.text(name)])?.int("n") ?? -1
            return (open, currentThreadName())
          }
        }
      }
      var results: [(Int, String)] = []
      for try await result in group { results.append(result) }
      return results
    }
    #expect(observed.count == 8)
    #expect(observed.allSatisfy { $0.0 >= 1 && $0.0 <= 2 }, "\(observed.map(\.0))")
    #expect(observed.allSatisfy { $0.1.hasPrefix("TP-") }, "\(observed.map(\.1))")
    try await database.close()
  }

  /// A connection the server killed is replaced without the caller noticing.
  @Test func killedConnectionsAreReplaced() async throws {
    let server = try await MariaDBServer.shared()
    let created = try await server.createDatabase()
    let database = try await MariaDBDatabase.open(configuration(server, database: created.name, poolSize: 1))
    let first = try await database.read { conn in try conn.queryOne("SELECT CONNECTION_ID() AS id")?.int64("id") }
    try await server.client("KILL CONNECTION \(first ?? -1)")
    let second = try await database.read { conn in try conn.queryOne("SELECT CONNECTION_ID() AS id")?.int64("id") }
    #expect(second != nil && second != first)
    try await database.close()
  }

  /// The server going away: calls fail with a connection error (never hang), and work again once it is back.
  @Test func serverRestartIsSurvived() async throws {
    let server = try await MariaDBServer.start()
    let created = try await server.createDatabase()
    let store = try await Store.openMariaDB(configuration(server, database: created.name, poolSize: 2))
    _ = try await store.devices.create(NewDevice(deviceId: try DeviceID("lamp-1"), name: "Lamp"))
    await server.stop()
    await #expect {
      _ = try await store.devices.byPublicId("lamp-1")
    } throws: { error in
      if case .connection = error as? SQLError { return true }
      return false
    }
    try await server.launch()
    try await poll("the store works again", timeout: .seconds(30)) {
      (try? await store.devices.byPublicId("lamp-1")) != nil
    }
    try await store.database.close()
    await server.stop()
  }

  @Test func valuesRoundTrip() async throws {
    let fixture = try await StoreFixture(.mariadb)
    let long = String(repeating: "Küche 💡 ", count: 2_000)
    let row = try await fixture.database.write { conn in
      try conn.execute(
        "CREATE TABLE IF NOT EXISTS rt (id BIGINT PRIMARY KEY AUTO_INCREMENT, t LONGTEXT, d DOUBLE, b LONGBLOB, n BIGINT NULL, f TINYINT(1))"
      )
      let inserted = try conn.execute(
        "INSERT INTO rt (t, d, b, n, f) VALUES (?, ?, ?, ?, ?)",
        [.text(long), .double(1.5), .blob(Data([0, 1, 2, 255])), .null, .bool(true)])
      #expect(inserted.lastInsertID == 1 && inserted.rowsAffected == 1)
      return try conn.queryOne(
        "SELECT t, d, b, n, f, CAST(12.50 AS DECIMAL(6,2)) AS dec_value FROM rt WHERE id = ?", [1])
    }
    #expect(try row?.string("t") == long)
    #expect(try row?.double("d") == 1.5)
    #expect(try row?.optionalData("b") == Data([0, 1, 2, 255]))
    #expect(try row?.optionalInt64("n") == nil)
    #expect(try row?.bool("f") == true)
    #expect(try row?.double("dec_value") == 12.5)
  }
}

/// The calling thread's name as the kernel knows it (NIOThreadPool names its threads `TP-#n`).
private func currentThreadName() -> String {
  let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
  return name.trimmingCharacters(in: .whitespacesAndNewlines)
}
