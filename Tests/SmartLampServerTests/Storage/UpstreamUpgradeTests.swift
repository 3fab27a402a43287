import Foundation
import Logging
import SmartLampStore
import TestSupport
import Testing

@testable import SmartLampServer

/// issue #9: a household's upstream MariaDB database, migrated in place, served by the real server: every person
/// logs in with the password they had, sees what they saw, schedules keep their next runs, the household's upstream
/// API keys keep working with their scopes (migration 0007 gave them the oldest admin as owner) while upstream's
/// public demo key is refused, and commands reach the lamps.
@Suite(.enabled(if: MariaDBServer.isEnabled)) struct UpstreamUpgradeTests {
  @Test func upstreamDatabaseIsServedAfterMigrate() async throws {
    let mariadb = try await MariaDBServer.shared()
    let created = try await mariadb.createDatabase(prefix: "upgrade")
    try await mariadb.client(UpstreamMariaDBFixture.sql, database: created.name)
    let broker = try await MosquittoBroker.start(username: nil, password: nil)
    defer { Task { await broker.stop() } }
    var configured = TestServer {
      $0.mqttURL = broker.url(.tcp)
      $0.ackTimeoutMs = 5000
    }
    // The Unix-socket form of database.url, as a household on the same machine would write it.
    configured.configuration.database = try DatabaseURL.parse(created.socketURL)
    configured.configuration.databaseURL = created.socketURL
    let server = configured

    // `smartlamp migrate`: the same bootstrap the CLI runs.
    let log = LogCapture()
    let migrated = try await StoreBootstrap.open(
      configuration: server.configuration, logger: log.logger(label: "upgrade"))
    let versions = try await StoreBootstrap.appliedVersions(migrated)
    #expect(versions.contains("0001_schema.sql") && versions.last == "0007_keys_and_leases")
    try await migrated.close()
    // The upgrade says what it did to the keys.
    #expect(
      log.text.contains("warning upgrade: deactivated upstream's public demo API key 'demo-client'"), "\(log.text)")
    #expect(
      log.text.contains(
        "2 upstream API key(s) now act for the oldest active admin, admin@example.com (id 1), with their scopes"),
      "\(log.text)")

    try await server.run(.live) { client in
      let port = try #require(client.port)
      try await poll("server ready", timeout: .seconds(20)) {
        try await LampEnv.call(port: port, .get, "/api/v1/health/ready").status == 200
      }
      let adminToken = try await LampEnv.login(
        port: port, email: UpstreamMariaDBFixture.adminEmail, password: UpstreamMariaDBFixture.adminPassword)
      let sitiToken = try await LampEnv.login(
        port: port, email: UpstreamMariaDBFixture.memberEmail, password: UpstreamMariaDBFixture.memberPassword)
      let budiToken = try await LampEnv.login(
        port: port, email: UpstreamMariaDBFixture.legacyEmail, password: UpstreamMariaDBFixture.legacyPassword)
      let env = LampEnv(port: port, broker: broker, adminToken: adminToken, brokerURL: broker.url(.tcp))

      // PBKDF2 and unsalted SHA-256 were replaced by bcrypt at that login; the old password still works.
      let hashes = try await server.withDatabase { db in
        try await db.read { conn in
          try conn.query("SELECT email, password_hash FROM users ORDER BY id").map {
            (try $0.string("email"), try $0.string("password_hash"))
          }
        }
      }
      #expect(hashes.count == 3)
      #expect(hashes.allSatisfy { $0.1.hasPrefix("$2") }, "\(hashes.map(\.1))")
      _ = try await LampEnv.login(
        port: port, email: UpstreamMariaDBFixture.legacyEmail, password: UpstreamMariaDBFixture.legacyPassword)
      let wrong = try await LampEnv.call(
        port: port, .post, "/api/v1/auth/login",
        json: "{\"email\":\"\(UpstreamMariaDBFixture.memberEmail)\",\"password\":\"nope-nope-1\"}")
      #expect(wrong.status == 401)

      // Each person sees the lamps upstream gave them, with upstream's ids.
      func deviceIds(_ token: String) async throws -> Set<String> {
        let reply = try await env.call(.get, "/api/v1/devices", token: token)
        let list = reply.data?.lampArray ?? []
        return Set(list.compactMap { $0["id"]?.string })
      }
      let seenByAdmin = try await deviceIds(adminToken)
      let seenBySiti = try await deviceIds(sitiToken)
      let seenByBudi = try await deviceIds(budiToken)
      #expect(seenByAdmin == ["lampu-ruang-tamu", "lampu-teras"])
      #expect(seenBySiti == ["lampu-ruang-tamu", "lampu-teras"])
      #expect(seenByBudi == ["lampu-teras"])

      // Schedules keep their ids and next runs; the window group and the cron schedule both survive.
      let cron = try await env.call(.get, "/api/v1/schedules/21", token: adminToken)
      #expect(cron.status == 200)
      #expect(cron.data?["nextRunAt"]?.lampInt.map(Int64.init) == UpstreamMariaDBFixture.cronNextRunAt)
      let window = try await env.call(.get, "/api/v1/schedules/20", token: sitiToken)
      #expect(window.status == 200)
      let runs = try await env.call(.get, "/api/v1/schedules/21/runs", token: adminToken)
      #expect(runs.status == 200)
      #expect(
        try await env.call(.get, "/api/v1/schedules/20", token: budiToken).status == 404,
        "budi has no schedule permission on that lamp")

      // The household's key works with its scopes (read, command; not schedule); the demo key is refused.
      let haKey = UpstreamMariaDBFixture.homeAssistantKey
      let byKeyRead = try await env.call(.get, "/api/v1/status", token: haKey)
      #expect(byKeyRead.status == 200 && byKeyRead.data?.lampArray?.count == 2, "\(byKeyRead.body)")
      let byKeySchedule = try await env.call(
        .post, "/api/v1/schedules",
        json: #"{"deviceId":"lampu-teras","action":"ON","cron":"0 7 * * *","timezone":"Asia/Jakarta"}"#,
        token: haKey, idempotencyKey: "ha-schedule")
      #expect(byKeySchedule.status == 403 && byKeySchedule.code == "FORBIDDEN_SCOPE", "\(byKeySchedule.body)")
      let byDemoKey = try await env.call(.get, "/api/v1/status", token: UpstreamMariaDBFixture.apiKey)
      #expect(byDemoKey.status == 401 && byDemoKey.code == "AUTH_INVALID_TOKEN", "\(byDemoKey.body)")

      // Commands reach the lamps: a member with control, and the household's API key on the two-relay lamp.
      let livingRoom = try await env.startLamp("lampu-ruang-tamu")
      let porch = try await env.startLamp("tasmota_ABC123", relays: 2)
      let byMember = try await env.execute("lampu-ruang-tamu", "ON", token: sitiToken)
      #expect(byMember.status == 200 && byMember.data?["status"]?.string == "ACKED", "\(byMember.body)")
      #expect(livingRoom.isOn())
      let byKey = try await env.execute("lampu-teras", "ON", token: haKey)
      #expect(byKey.status == 200 && byKey.data?["status"]?.string == "ACKED", "\(byKey.body)")
      #expect(porch.isOn(relay: 2))
      let byDemo = try await env.execute("lampu-teras", "OFF", token: UpstreamMariaDBFixture.apiKey)
      #expect(byDemo.status == 401, "\(byDemo.body)")
      let byAdmin = try await env.execute("lampu-teras", "OFF", token: adminToken)
      #expect(byAdmin.status == 200 && byAdmin.data?["status"]?.string == "ACKED", "\(byAdmin.body)")
      #expect(!porch.isOn(relay: 2))
      let refused = try await env.execute("lampu-ruang-tamu", "OFF", token: budiToken)
      #expect(refused.status == 403 || refused.status == 404)
      await livingRoom.stop()
      await porch.stop()
    }
  }
}
