import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import SmartLampServer

/// `GET /metrics` through the real server: who may read it, what it serves, and that its counters move.
@Suite struct MetricsRouteTests {
  static let token = "metrics-token-0123456789abcdef"

  /// A server with a first admin and a metrics token, logging everything at trace level into `capture`.
  static func run(
    capture: LogCapture = LogCapture(), token: String? = MetricsRouteTests.token,
    _ body: @Sendable (any TestClientProtocol) async throws -> Void
  ) async throws {
    let server = Accounts.server { $0.metricsToken = token }
    let app = try await buildApplication(configuration: server.configuration, logger: capture.logger())
    try await app.test(.live, body)
  }

  @Test func anonymousCallersGetAnEnveloped401() async throws {
    try await Self.run { client in
      let reply = try await client.call(.get, "/metrics")
      #expect(reply.status == .unauthorized)
      #expect(reply.code == "NOT_AUTHENTICATED")
      #expect(reply.envelope?.success == false)
      #expect(reply.headers[.contentType]?.hasPrefix("application/json") == true)
    }
  }

  @Test func membersAndKeysWithoutTheAdminScopeGet403() async throws {
    try await Self.run { client in
      let admin = try await client.session()
      _ = try await client.createUser(admin, email: "member@example.com")
      let member = try await client.session("member@example.com", "member-password-1")
      let asMember = try await client.call(.get, "/metrics", as: .cookie(member))
      #expect(asMember.status == .forbidden)
      #expect(asMember.code == "FORBIDDEN_ADMIN_REQUIRED")
      let readKey = try await client.createKey(admin, scopes: ["read"])
      let asReadKey = try await client.call(.get, "/metrics", as: .bearer(readKey))
      #expect(asReadKey.status == .forbidden)
      #expect(asReadKey.code == "FORBIDDEN_SCOPE")
      let adminKey = try await client.createKey(admin, scopes: ["admin"], name: "scraper")
      #expect(try await client.call(.get, "/metrics", as: .bearer(adminKey)).status == .ok)
    }
  }

  @Test func adminsGetParseableExposition() async throws {
    try await Self.run { client in
      let admin = try await client.session()
      // One request first, so the HTTP families hold samples (histogram buckets included).
      _ = try await client.call(.get, "/api/v1/users", as: .cookie(admin))
      let reply = try await client.call(.get, "/metrics", as: .cookie(admin))
      #expect(reply.status == .ok)
      let contentType = try #require(reply.headers[.contentType])
      #expect(contentType.hasPrefix("text/plain; version=0.0.4"))
      let parsed = try ParsedExposition(String(decoding: reply.raw, as: UTF8.self))
      for name in [
        "smartlamp_build_info", "smartlamp_uptime_seconds", "smartlamp_http_requests_total",
        "smartlamp_http_request_duration_seconds", "smartlamp_mqtt_connected", "smartlamp_mqtt_messages_received_total",
        "smartlamp_mqtt_malformed_payloads_total", "smartlamp_command_outcomes_total",
        "smartlamp_command_ack_latency_seconds", "smartlamp_command_log_entries", "smartlamp_devices",
        "smartlamp_devices_online", "smartlamp_realtime_streams", "smartlamp_scheduler_runs",
      ] {
        #expect(parsed.family(name) != nil, "\(name) is served")
      }
      #expect(parsed.family("smartlamp_http_request_duration_seconds")?.type == "histogram")
      #expect(parsed.family("smartlamp_http_requests_total")?.type == "counter")
      #expect(parsed.value("smartlamp_build_info", where: ["version": SmartLampVersion.version]) == 1)
      #expect(parsed.value("smartlamp_mqtt_connected") == 0, "no broker runs in this test")
      #expect(parsed.samples("smartlamp_http_request_duration_seconds_bucket").contains { $0.labels["le"] == "+Inf" })
      // Every series of the bounded sets is present, at zero when nothing happened.
      #expect(parsed.samples("smartlamp_command_log_entries").count == 3 * 4)
      #expect(parsed.samples("smartlamp_scheduler_runs", where: ["status": "SUCCESS"]).count == 1)
    }
  }

  @Test func theMetricsTokenIsAcceptedAndNeverLogged() async throws {
    let capture = LogCapture()
    try await Self.run(capture: capture) { client in
      let reply = try await client.call(.get, "/metrics", as: .bearer(Self.token))
      #expect(reply.status == .ok)
      #expect(reply.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
      _ = try ParsedExposition(String(decoding: reply.raw, as: UTF8.self))

      let wrong = try await client.call(.get, "/metrics", as: .bearer(Self.token + "x"))
      #expect(wrong.status == .unauthorized)
      #expect(wrong.code == "AUTH_INVALID_TOKEN")
      let prefix = try await client.call(.get, "/metrics", as: .bearer(String(Self.token.dropLast())))
      #expect(prefix.status == .unauthorized)
      // The token opens /metrics only.
      let elsewhere = try await client.call(.get, "/api/v1/users", as: .bearer(Self.token))
      #expect(elsewhere.status == .unauthorized)
    }
    #expect(capture.text.contains("/metrics"), "the access log saw the requests")
    #expect(!capture.text.contains(Self.token.prefix(20)))
  }

  @Test func withoutAConfiguredTokenNoBearerTokenPasses() async throws {
    try await Self.run(token: nil) { client in
      let reply = try await client.call(.get, "/metrics", as: .bearer(Self.token))
      #expect(reply.status == .unauthorized)
      #expect(reply.code == "AUTH_INVALID_TOKEN")
    }
  }

  @Test func requestCountersMoveByRoutePattern() async throws {
    try await Self.run { client in
      let admin = try await client.session()
      let member = try await client.createUser(admin, email: "counted@example.com")
      func scrape() async throws -> ParsedExposition {
        let reply = try await client.call(.get, "/metrics", as: .bearer(Self.token))
        return try ParsedExposition(String(decoding: reply.raw, as: UTF8.self))
      }
      func usersRoute(_ parsed: ParsedExposition) -> (count: Double, durations: Double) {
        let labelled = parsed.samples("smartlamp_http_requests_total", where: ["method": "GET", "code": "200"])
          .filter { PermissionMatrixTests.normalise($0.labels["route"] ?? "") == "/api/v1/users/{}/assignments" }
        let durations = parsed.samples("smartlamp_http_request_duration_seconds_count")
          .filter { PermissionMatrixTests.normalise($0.labels["route"] ?? "") == "/api/v1/users/{}/assignments" }
        return (labelled.reduce(0) { $0 + $1.value }, durations.reduce(0) { $0 + $1.value })
      }
      let before = try await scrape()
      let assignments = try await client.call(.get, "/api/v1/users/\(member)/assignments", as: .cookie(admin))
      #expect(assignments.status == .ok)
      _ = try await client.call(.get, "/api/v1/no-such-route-4711", as: .cookie(admin))
      let after = try await scrape()
      #expect(usersRoute(after).count == usersRoute(before).count + 1)
      #expect(usersRoute(after).durations == usersRoute(before).durations + 1)
      // Raw paths never become label values: ids and unknown paths are folded into patterns.
      let routes = Set(after.samples("smartlamp_http_requests_total").compactMap { $0.labels["route"] })
      #expect(!routes.contains { $0.contains("\(member)") || $0.contains("4711") }, "\(routes.sorted())")
      #expect(after.value("smartlamp_http_requests_total", where: ["route": "unmatched", "code": "404"]) >= 1)
      #expect(after.value("smartlamp_http_requests_total", where: ["route": "/metrics", "code": "200"]) >= 1)
    }
  }
}
