import Foundation
import HTTPTypes
import ServerTestSupport
import SmartLampStore
import TestSupport
import Testing

@testable import SmartLampServer

/// Issue #8 item 6, `GET /api/v1/system` through the real server and Mosquitto: readiness, version, devices,
/// streams, command outcomes with latency percentiles, the scheduler; the broker going down and coming back; the
/// refused subscriptions named; administrators only.
@Suite(.serialized) struct SystemOverviewTests {
  static func system(_ env: LampEnv, token: String? = nil) async throws -> Reply {
    try await env.call(.get, "/api/v1/system", token: token)
  }

  @Test func showsTheServerAndFollowsTheBrokerDownAndBack() async throws {
    try await LampEnv.with { env in
      try await env.createDevice("heard")
      try await env.createDevice("silent")
      let lamp = try await env.startLamp("heard")
      try await poll("lamp online") {
        try await env.call(.get, "/api/v1/devices/heard/status").data?["online"]?.lampBool == true
      }
      let before = try #require(try await Self.system(env).data)
      #expect(before["version"]?.string == SmartLampVersion.version)
      #expect(before["database"]?["ready"]?.lampBool == true && before["database"]?["dialect"]?.string == "sqlite")
      #expect(before["broker"]?["ready"]?.lampBool == true && before["broker"]?["connected"]?.lampBool == true)
      #expect(before["broker"]?["refusedSubscriptions"]?.lampArray == [])
      let counts = ["known", "online", "offline", "unknown"].map { before["devices"]?[$0]?.lampInt }
      #expect(counts == [2, 1, 0, 1])
      #expect(before["commands"]?["outcomes"]?["ACKED"]?.lampInt == 0)
      #expect(before["commands"]?["ackLatencyMs"]?["count"]?.lampInt == 0)
      #expect(before["commands"]?["ackLatencyMs"]?["p50"]?.lampIsNull == true)
      #expect(before["scheduler"]?["enabledSchedules"]?.lampInt == 0)
      #expect(before["scheduler"]?["nextDueAt"]?.lampIsNull == true)
      #expect(before["openapiUrl"]?.string == "/api/v1/openapi.json")
      let startedAt = try #require(before["startedAt"]?.lampInt)
      #expect(startedAt <= Int(Timestamp.nowMillis()))

      // Commands, a stream and a schedule show up.
      #expect(try await env.execute("heard", "ON").data?["status"]?.string == "ACKED")
      #expect(try await env.execute("heard", "OFF").data?["status"]?.string == "ACKED")
      let stream = try await SSEClient.open(port: env.port, token: env.adminToken)
      let schedule = try await env.call(
        .post, "/api/v1/schedules",
        json: "{\"deviceId\":\"heard\",\"action\":\"ON\",\"cron\":\"0 0 1 1 *\",\"timezone\":\"UTC\"}",
        idempotencyKey: "system-schedule")
      #expect(schedule.status == 201)
      try await poll("the stream is counted") {
        try await Self.system(env).data?["realtime"]?["openStreams"]?.lampInt == 1
      }
      let after = try #require(try await Self.system(env).data)
      #expect(after["commands"]?["outcomes"]?["ACKED"]?.lampInt == 2)
      #expect(after["commands"]?["outcomes"]?["TIMEOUT"]?.lampInt == 0)
      #expect(after["commands"]?["ackLatencyMs"]?["count"]?.lampInt == 2)
      let p50 = try #require(after["commands"]?["ackLatencyMs"]?["p50"]?.lampInt)
      let p95 = try #require(after["commands"]?["ackLatencyMs"]?["p95"]?.lampInt)
      #expect(p50 >= 0 && p95 >= p50)
      #expect(after["scheduler"]?["enabledSchedules"]?.lampInt == 1)
      #expect(after["scheduler"]?["enabled"]?.lampBool == true)
      #expect((after["scheduler"]?["nextDueAt"]?.lampInt ?? 0) > Int(Timestamp.nowMillis()))

      // Members and keys without admin are refused.
      let member = try await env.createMember("system@example.com")
      let refused = try await Self.system(env, token: member.token)
      #expect(refused.status == 403 && refused.code == "FORBIDDEN_ADMIN_REQUIRED")

      // The broker goes down: the page still answers and says so; then it recovers.
      await env.broker.kill()
      var down: JSONValue?
      try await poll("broker shown down", timeout: .seconds(20)) {
        down = try await Self.system(env).data
        return down?["broker"]?["connected"]?.lampBool == false
      }
      #expect(down?["broker"]?["ready"]?.lampBool == false)
      #expect(down?["broker"]?["problem"]?.string?.isEmpty == false)
      #expect(down?["database"]?["ready"]?.lampBool == true)
      try await env.broker.restart()
      try await poll("broker shown up again", timeout: .seconds(40)) {
        try await Self.system(env).data?["broker"]?["ready"]?.lampBool == true
      }
      await stream.close()
      await lamp.stop()
    }
  }

  @Test func namesRefusedSubscriptions() async throws {
    try await MosquittoBroker.with(deniedSubscriptions: ["stat/#"]) { broker in
      let server = TestServer { configuration in
        configuration.mqttURL = broker.url(.tcp)
        configuration.mqttUsername = broker.username
        configuration.mqttPassword = broker.password
        configuration.adminEmail = LampEnv.adminEmail
        configuration.adminPassword = LampEnv.adminPassword
      }
      try await server.run(.live) { client in
        let port = try #require(client.port)
        try await poll("server answers") {
          try await LampEnv.call(port: port, .get, "/api/health").status == 200
        }
        let token = try await LampEnv.login(port: port, email: LampEnv.adminEmail, password: LampEnv.adminPassword)
        var broker: JSONValue?
        try await poll("refused filter named", timeout: .seconds(20)) {
          broker = try await LampEnv.call(port: port, .get, "/api/v1/system", token: token).data?["broker"]
          return broker?["refusedSubscriptions"]?.lampArray?.isEmpty == false
        }
        #expect(broker?["refusedSubscriptions"]?.lampArray?.contains("stat/+/+") == true)
        #expect(broker?["ready"]?.lampBool == false && broker?["connected"]?.lampBool == true)
      }
    }
  }

  @Test func latencyQuantilesFollowTheBuckets() {
    let histogram = LabelledHistogram("t", help: "t", labelNames: [], bounds: [0.1, 0.2, 0.4])
    #expect(histogram.quantile(0.5) == nil)
    for value in [0.05, 0.15, 0.15, 0.3] { histogram.observe(value) }
    // Ranks: p50 = 2 of 4 → the second bucket, half way (0.1 … 0.2); p95 = 3.8 → the third, 80 % of the way.
    #expect(abs((histogram.quantile(0.5) ?? 0) - 0.15) < 1e-9)
    #expect(abs((histogram.quantile(0.95) ?? 0) - 0.36) < 1e-9)
    histogram.observe(9)
    #expect(histogram.quantile(1) == 0.4)
  }
}
