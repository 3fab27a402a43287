import Foundation
import HTTPTypes
import Logging
import SmartLampStore
import TestSupport
import Testing

@testable import SmartLampServer

/// issue #9 item 4, first step past one machine: two servers on one MariaDB database and one broker. Both serve the
/// same people and lamps, a command through one shows on the other's realtime stream (the lamp's report reaches
/// both through the broker), each command is audited once whichever server took it, an idempotency key used on one
/// server is answered from the record on the other (one publish), one rate-limit window counts the commands of
/// both, a lamp registered on one is found on the other at once, and a session ended on one is refused by the other
/// within `auth.session-cache-ms`.
@Suite(.enabled(if: MariaDBServer.isEnabled)) struct TwoServersOneDatabaseTests {
  @Test func twoServersShareOneDatabase() async throws {
    let mariadb = try await MariaDBServer.shared()
    let created = try await mariadb.createDatabase(prefix: "two")
    let broker = try await MosquittoBroker.start(username: nil, password: nil)
    defer { Task { await broker.stop() } }
    func server(_ instance: String) throws -> TestServer {
      var server = TestServer {
        $0.mqttURL = broker.url(.tcp)
        $0.adminEmail = LampEnv.adminEmail
        $0.adminPassword = LampEnv.adminPassword
        $0.jwtSecret = "two-servers-share-this-jwt-secret-value"
        $0.instanceID = instance
        $0.ackTimeoutMs = 5000
        $0.commandRateLimitMax = 6
      }
      server.configuration.database = try DatabaseURL.parse(created.url)
      server.configuration.databaseURL = created.url
      return server
    }
    let first = try server("one")
    let second = try server("two")
    try await first.run(.live) { clientA in
      try await second.run(.live) { clientB in
        let portA = try #require(clientA.port)
        let portB = try #require(clientB.port)
        for port in [portA, portB] {
          try await poll("server ready", timeout: .seconds(20)) {
            try await LampEnv.call(port: port, .get, "/api/v1/health/ready").status == 200
          }
        }
        // A session made on A is good on B (one users table, one secret).
        let token = try await LampEnv.login(port: portA, email: LampEnv.adminEmail, password: LampEnv.adminPassword)
        let a = LampEnv(port: portA, broker: broker, adminToken: token, brokerURL: broker.url(.tcp))
        let b = LampEnv(port: portB, broker: broker, adminToken: token, brokerURL: broker.url(.tcp))
        _ = try await a.createDevice("shared-lamp")
        // B finds a lamp registered through A at once (from the database when its memory lacks it), not only after
        // its periodic device check (RealtimeWatcher, every 2 s).
        let seenByB = try await b.call(.get, "/api/v1/devices/shared-lamp")
        #expect(seenByB.status == 200, "\(seenByB.body)")
        let lamp = try await a.startLamp("shared-lamp")
        let observer = try await Observer.start(url: broker.url(.tcp), filter: "cmnd/shared-lamp/+")

        // B's realtime stream shows what a command through A did: the lamp's report reaches both through the broker.
        let streamB = try await SSEClient.open(port: portB, token: token)
        #expect(streamB.status == 200)

        // One command through each server: each acknowledged and audited exactly once.
        let viaA = try await a.execute("shared-lamp", "ON", requestID: "via-a")
        let seenOnB = try await streamB.events.next(within: .seconds(10), "the lamp's ON on B's stream") { frame in
          frame.type == "status" && frame.deviceId == "shared-lamp"
            && frame.json?["payload"]?["power"]?.string == "ON"
            && frame.json?["payload"]?["reportSource"]?.string != "snapshot"
        }
        #expect(seenOnB != nil)
        await streamB.close()
        let viaB = try await b.execute("shared-lamp", "OFF", requestID: "via-b")
        #expect(viaA.data?["status"]?.string == "ACKED", "\(viaA.body)")
        #expect(viaB.data?["status"]?.string == "ACKED", "\(viaB.body)")
        let audited = try await first.withDatabase { db in
          try await db.read { conn in
            try conn.query(
              "SELECT request_id, COUNT(*) AS n FROM command_logs WHERE request_id IN ('via-a', 'via-b') GROUP BY request_id"
            ).map { "\(try $0.string("request_id"))=\(try $0.int("n"))" }.sorted()
          }
        }
        #expect(audited == ["via-a=1", "via-b=1"])
        #expect(try await b.call(.get, "/api/v1/commands/via-a").data?["status"]?.string == "ACKED")

        // The same idempotency key on A, then on B: B replays A's answer and nothing is published again.
        let onA = try await a.execute("shared-lamp", "ON", key: "shared-key", requestID: "idem-1")
        let onB = try await b.execute("shared-lamp", "ON", key: "shared-key", requestID: "idem-1")
        #expect(onA.status == 200 && onB.status == 200)
        #expect(onB.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
        _ = try await b.execute("shared-lamp", "OFF", key: "marker", requestID: "marker")
        // The marker is the second OFF: once it is seen, every earlier publish has been seen too.
        try await poll("marker published") { observer.messages.filter { $0.payload == "OFF" }.count >= 2 }
        #expect(observer.messages.filter { $0.payload == "ON" }.count == 2, "via-a and idem-1, not idem-1 twice")

        // Rate limits are one window in the database: via-a, via-b, idem-1 and the marker counted 4 of this
        // caller's 6 (the replay on B counted none), so the 5th and 6th pass and the 7th is refused, whichever
        // server answers.
        var statuses: [Int] = []
        for index in 0..<4 {
          let via = index.isMultiple(of: 2) ? a : b
          statuses.append(try await via.execute("shared-lamp", "ON", requestID: "limit-\(index)").status.code)
        }
        #expect(statuses == [200, 200, 429, 429], "\(statuses)")

        // A session ended on A is refused on B within auth.session-cache-ms.
        let ended = try await LampEnv.login(port: portA, email: LampEnv.adminEmail, password: LampEnv.adminPassword)
        #expect(try await b.call(.get, "/api/v1/devices", token: ended).status == 200)
        #expect(try await a.call(.post, "/api/v1/auth/logout", token: ended).status == 200)
        try await poll("B refuses the ended session", timeout: .seconds(10)) {
          try await b.call(.get, "/api/v1/devices", token: ended).status == 401
        }
        await observer.stop()
        await lamp.stop()
      }
    }
  }
}
