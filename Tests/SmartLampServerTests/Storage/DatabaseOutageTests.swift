import Foundation
import Logging
import SmartLampStore
import TestSupport
import Testing

@testable import SmartLampServer

/// issue #9 fault: MariaDB stops under the server. Requests that need the database answer 503 (never 500) while it
/// is down, and the server works again by itself once it is back, without a restart.
@Suite(.enabled(if: MariaDBServer.isEnabled)) struct DatabaseOutageTests {
  @Test func databaseRestartAnswers503AndRecovers() async throws {
    let mariadb = try await MariaDBServer.start()
    let created = try await mariadb.createDatabase(prefix: "outage")
    let broker = try await MosquittoBroker.start(username: nil, password: nil)
    var configured = TestServer {
      $0.mqttURL = broker.url(.tcp)
      $0.adminEmail = LampEnv.adminEmail
      $0.adminPassword = LampEnv.adminPassword
      // Every request reads its session: the outage is seen at once, not after a cached minute.
      $0.sessionCacheMs = 0
    }
    configured.configuration.database = try DatabaseURL.parse(created.url)
    configured.configuration.databaseURL = created.url
    let server = configured
    do {
      try await server.run(.live) { client in
        let port = try #require(client.port)
        try await poll("server ready", timeout: .seconds(20)) {
          try await LampEnv.call(port: port, .get, "/api/v1/health/ready").status == 200
        }
        let token = try await LampEnv.login(port: port, email: LampEnv.adminEmail, password: LampEnv.adminPassword)
        let env = LampEnv(port: port, broker: broker, adminToken: token, brokerURL: broker.url(.tcp))
        _ = try await env.createDevice("outage-lamp")
        let lamp = try await env.startLamp("outage-lamp")
        #expect(try await env.execute("outage-lamp", "ON").data?["status"]?.string == "ACKED")

        await mariadb.stop()
        for path in ["/api/v1/devices", "/api/v1/commands?limit=5"] {
          let reply = try await env.call(.get, path)
          #expect(reply.status == 503, "\(path): \(reply.status) \(reply.body)")
        }
        let command = try await env.execute("outage-lamp", "OFF")
        #expect(command.status == 503, "\(command.body)")
        #expect(try await LampEnv.call(port: port, .get, "/api/v1/health/ready").status == 503)

        try await mariadb.launch()
        try await poll("commands work again", timeout: .seconds(30)) {
          try await env.execute("outage-lamp", "OFF").data?["status"]?.string == "ACKED"
        }
        #expect(try await env.call(.get, "/api/v1/devices").status == 200)
        await lamp.stop()
      }
    } catch {
      await broker.stop()
      await mariadb.stop()
      throw error
    }
    await broker.stop()
    await mariadb.stop()
  }
}
