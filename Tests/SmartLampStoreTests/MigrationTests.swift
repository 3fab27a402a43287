import Foundation
import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

@Suite struct MigrationTests {
  /// UPSTREAM §13.1 plus what the contract adds: every table and column by name.
  static let expectedColumns: [String: [String]] = [
    "users": [
      "id", "name", "email", "password_hash", "role", "is_active", "created_at", "updated_at", "deleted_at",
      "deleted_by_user_id", "preferences",
    ],
    "devices": [
      "id", "device_id", "mqtt_device_id", "name", "location", "command_channel", "hmac_secret", "created_at",
    ],
    "user_devices": [
      "user_id", "device_id", "role", "device_permission", "schedule_permission", "assigned_by_user_id", "created_at",
      "updated_at",
    ],
    "command_logs": [
      "id", "request_id", "user_id", "device_id", "device_public_id", "channel", "action", "origin", "client_id",
      "schedule_id", "issued_at", "expires_at", "result", "ack_status", "acked_at", "ack_latency_ms", "error",
      "created_at",
    ],
    "integration_clients": [
      "id", "name", "api_key_hash", "scopes", "is_active", "created_at", "key_prefix", "owner_user_id", "expires_at",
      "last_used_at", "created_by_user_id", "revoked_at",
    ],
    "idempotency_records": [
      "id", "principal", "idempotency_key", "method", "path", "route", "request_hash", "status_code", "response_body",
      "created_at", "expires_at",
    ],
    "rate_limit_hits": ["rate_key", "request_count", "reset_at", "created_at", "updated_at"],
    "auth_sessions": [
      "id", "user_id", "refresh_token_hash", "expires_at", "created_at", "updated_at", "last_used_at", "rotated_at",
      "revoked_at", "replaced_by_session_id", "user_agent", "ip_address", "family_id", "revoked_reason",
    ],
    "device_schedules": [
      "id", "user_id", "device_id", "created_by_user_id", "action", "cron_expr", "timezone", "enabled", "next_run_at",
      "last_run_at", "start_at", "end_at", "window_group_id", "window_start_minute", "window_end_minute",
      "enforce_every_minute", "created_at", "updated_at", "misfire_grace_sec",
    ],
    "schedule_runs": [
      "id", "schedule_id", "device_id", "planned_at", "executed_at", "request_id", "status", "error_message",
      "created_at", "reason", "ack_status", "acked_at", "ack_latency_ms", "claimed_by", "lease_until",
    ],
    "device_state": [
      "device_id", "channel", "power", "online", "last_seen_at", "rssi", "uptime_sec", "source", "updated_at",
      "profile",
    ],
    "device_history": ["id", "device_id", "channel", "power", "source", "occurred_at", "created_at"],
    "server_state": ["name", "value", "updated_at"],
    "schema_migrations": ["version", "applied_at"],
  ]

  static func columns(_ table: String, _ db: any SQLDatabase) async throws -> [String] {
    try await db.read { conn in try conn.query("PRAGMA table_info(\(table))").map { try $0.string("name") } }
  }

  @Test func freshDatabaseGetsTheWholeSchema() async throws {
    let dir = TemporaryDirectory()
    let db = try SQLiteDatabase(path: dir.file("nested/folder/db.sqlite"))
    #expect(FileManager.default.fileExists(atPath: dir.file("nested/folder")))
    let migrator = try Migrator(database: db)
    #expect(
      try await migrator.pendingVersions() == [
        "0001_base", "0002_contract", "0003_retention", "0004_dashboard", "0005_preferences", "0006_native",
        "0007_keys_and_leases",
      ])
    #expect(
      try await migrator.migrate() == [
        "0001_base", "0002_contract", "0003_retention", "0004_dashboard", "0005_preferences", "0006_native",
        "0007_keys_and_leases",
      ])
    #expect(
      try await migrator.appliedVersions() == [
        "0001_base", "0002_contract", "0003_retention", "0004_dashboard", "0005_preferences", "0006_native",
        "0007_keys_and_leases",
      ])
    #expect(try await migrator.pendingVersions().isEmpty)
    for (table, expected) in Self.expectedColumns {
      #expect(Set(try await Self.columns(table, db)) == Set(expected), "\(table)")
    }
    let tables = try await db.read { conn in
      try conn.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .map { try $0.string("name") }
    }
    #expect(Set(tables) == Set(Self.expectedColumns.keys))
    try await db.close()
  }

  @Test(arguments: StoreEngine.all) func reapplyingIsANoOp(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    _ = try await fixture.user()
    let again = try await Migrator(database: fixture.database).migrate()
    #expect(again.isEmpty)
    #expect(try await fixture.count("users") == 1)
    #expect(
      try await fixture.count("schema_migrations") == Migration.all(for: engine == .sqlite ? .sqlite : .mariadb)?.count)
  }

  @Test func sqliteRunsInWALWithForeignKeysAndABusyTimeout() async throws {
    let fixture = try await StoreFixture()
    let (mode, fk) = try await fixture.database.read { conn in
      (
        try conn.queryOne("PRAGMA journal_mode")?.string("journal_mode"),
        try conn.queryOne("PRAGMA foreign_keys")?.int("foreign_keys")
      )
    }
    #expect(mode == "wal")
    #expect(fk == 1)
    #expect(fixture.database.dialect == .sqlite)
  }

  /// A database migrated to 0001 (upstream's schema) with upstream-shaped rows upgrades and keeps them.
  @Test func olderDatabaseUpgradesWithDataKept() async throws {
    let dir = TemporaryDirectory()
    let db = try SQLiteDatabase(path: dir.file("old.sqlite"))
    let migrator = try Migrator(database: db)
    #expect(try await migrator.migrate(upTo: "0001_base") == ["0001_base"])
    #expect(
      try await migrator.pendingVersions() == [
        "0002_contract", "0003_retention", "0004_dashboard", "0005_preferences", "0006_native",
        "0007_keys_and_leases",
      ])
    try await db.write { conn in
      try conn.execute(
        "INSERT INTO users (id, name, email, password_hash, role, is_active, created_at) VALUES (1, 'Administrator', 'admin@example.com', 'h', 'admin', 1, '2025-01-01T00:00:00Z')"
      )
      try conn.execute(
        "INSERT INTO devices (id, device_id, mqtt_device_id, name, command_channel, hmac_secret, created_at) VALUES (4, 'lampu-ruang-tamu', 'lampu-ruang-tamu', 'Lampu Ruang Tamu', 'POWER2', 'unused-tasmota', '2025-01-01T00:00:00Z')"
      )
      try conn.execute(
        "INSERT INTO user_devices (user_id, device_id, role, created_at) VALUES (1, 4, 'owner', '2025-01-01T00:00:00Z')"
      )
      try conn.execute(
        "INSERT INTO command_logs (request_id, user_id, device_id, action, issued_at, expires_at, result, created_at) VALUES ('r1', 1, 4, 'ON', 1000, 1000, 'PUBLISHED', 'x'), ('r2', NULL, 4, 'OFF', 2000, 2000, 'SCHEDULED_SUCCESS', 'y')"
      )
      try conn.execute(
        "INSERT INTO auth_sessions (id, user_id, refresh_token_hash, expires_at, created_at, updated_at) VALUES (7, 1, 'abc', 99999999999999, 'x', 'x')"
      )
      try conn.execute(
        "INSERT INTO idempotency_records (idempotency_key, route, request_hash, response_body, status_code, created_at) VALUES ('k1', '/api/v1/commands/execute', 'h', '{}', 200, 'x')"
      )
      try conn.execute(
        "INSERT INTO integration_clients (name, api_key_hash, scopes, is_active, created_at) VALUES ('demo-client', '10f752b000d239490916cb969f1a709cd4e3b359f51467adbaf20818cdcb3bfd', 'read,command,schedule', 1, 'x'), ('own', 'h-own', 'read', 1, 'x'), ('star', 'h-star', '*', 1, 'x')"
      )
      // A second admin made later: the oldest active admin (id 1) owns the keys.
      try conn.execute(
        "INSERT INTO users (id, name, email, password_hash, role, is_active, created_at) VALUES (5, 'Later', 'later@example.com', 'h', 'admin', 1, 'x')"
      )
    }
    let (appliedNow, notes) = try await migrator.migrateReporting()
    #expect(notes.map(\.version) == ["0007_keys_and_leases", "0007_keys_and_leases"], "\(notes)")
    #expect(notes.first?.message.hasPrefix("deactivated upstream's public demo API key 'demo-client'") == true)
    #expect(
      notes.last?.message.hasPrefix(
        "2 upstream API key(s) now act for the oldest active admin, admin@example.com (id 1), with their scopes")
        == true, "\(notes)")
    #expect(
      appliedNow == [
        "0002_contract", "0003_retention", "0004_dashboard", "0005_preferences", "0006_native",
        "0007_keys_and_leases",
      ])
    let store = Store(database: db)

    let logs = try await store.commandLogs.page(limit: 10)
    #expect(logs.items.map(\.requestId) == ["r2", "r1"])
    #expect(logs.items.allSatisfy { $0.deviceId == "lampu-ruang-tamu" && $0.channel == "POWER2" })
    #expect(logs.items.map(\.origin) == [.apiKey, .user])
    #expect(logs.items.map(\.status) == [.published, .published])
    #expect(logs.items.allSatisfy { $0.ackStatus == AckStatus.none })

    let session = try await store.sessions.byRefreshHash("abc")
    #expect(session?.familyId == "legacy-7")
    #expect(session?.revokedAt == nil && session?.rotatedAt == nil)

    let legacy = try await store.idempotency.find(principal: "legacy", key: "k1", now: -1)
    #expect(legacy?.statusCode == 200)
    #expect(try await store.idempotency.purgeExpired(now: 1) == 1)

    // 0007: upstream's public demo key is deactivated; the household's own keys act for the oldest active admin
    // with their scopes (upstream's `*` meant read, command and schedule, never SmartLamp's admin scope).
    let demo = try await store.apiKeys.byHash("10f752b000d239490916cb969f1a709cd4e3b359f51467adbaf20818cdcb3bfd")
    #expect(demo?.isActive == false && demo?.revokedAt != nil && demo?.ownerUserId == nil)
    let own = try await store.apiKeys.byHash("h-own")
    #expect(own?.ownerUserId == 1 && own?.isUsable(now: 0) == true && own?.scopes == APIScopes([.read]))
    let wildcard = try await store.apiKeys.byHash("h-star")
    #expect(wildcard?.ownerUserId == 1 && wildcard?.scopes == APIScopes([.read, .command, .schedule]))

    #expect(try await store.assignments.grant(userId: 1, deviceId: "lampu-ruang-tamu") == .full)
    #expect(try await store.users.byEmail("ADMIN@example.com")?.role == .admin)

    // The rebuilt command_logs now outlives its device.
    #expect(try await store.devices.delete("lampu-ruang-tamu"))
    let kept = try await store.commandLogs.byRequestId("r1")
    #expect(kept?.deviceId == "lampu-ruang-tamu")
    #expect(kept?.deviceInternalId == nil)
    let fk = try await db.read { conn in try conn.query("PRAGMA foreign_key_check") }
    #expect(fk.isEmpty)
    try await db.close()
  }

  @Test(arguments: StoreEngine.all) func aDatabaseFromANewerBuildIsRefused(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    try await fixture.database.write { conn in
      try conn.execute(
        "INSERT INTO schema_migrations (version, applied_at) VALUES ('9999_future', ?)",
        [.text(conn.dialect == .sqlite ? "x" : "2026-12-04 12:00:00")])
    }
    await #expect(throws: Migrator.Failure.unknownVersions(["9999_future"])) {
      try await Migrator(database: fixture.database).migrate()
    }
    await #expect(throws: Migrator.Failure.unknownTarget("nope")) {
      try await Migrator(database: fixture.database).migrate(upTo: "nope")
    }
  }

  @Test func aFailingMigrationLeavesThePreviousVersion() async throws {
    let dir = TemporaryDirectory()
    let db = try SQLiteDatabase(path: dir.file("db.sqlite"))
    let broken = [
      Migration(version: "0001_ok", statements: ["CREATE TABLE a (x INTEGER)"]),
      Migration(version: "0002_broken", statements: ["CREATE TABLE b (x INTEGER)", "CREATE TABLE a (x INTEGER)"]),
    ]
    let migrator = Migrator(database: db, migrations: broken)
    await #expect(throws: SQLError.self) { try await migrator.migrate() }
    #expect(try await migrator.appliedVersions() == ["0001_ok"])
    let tables = try await db.read { conn in
      try conn.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('a', 'b')").map {
        try $0.string("name")
      }
    }
    #expect(tables == ["a"])
  }

  @Test func storeOpenMigrates() async throws {
    let dir = TemporaryDirectory()
    let store = try await Store.openSQLite(path: dir.file("x/y.sqlite"))
    #expect(try await Migrator(database: store.database).pendingVersions().isEmpty)
    try await store.database.close()
  }

  @Test func bothDialectsHaveTheSameVersions() {
    #expect(Migration.all(for: .mariadb)?.map(\.version) == Migration.all(for: .sqlite)?.map(\.version))
    #expect(
      Migration.all(for: .sqlite)?.map(\.version) == [
        "0001_base", "0002_contract", "0003_retention", "0004_dashboard", "0005_preferences", "0006_native",
        "0007_keys_and_leases",
      ])
  }
}
