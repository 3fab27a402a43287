import Foundation
import SmartLampStore
import TestSupport
import Testing

@testable import SmartLampServer

/// Issue #8 items 4 and the dashboard's realtime niceties: API keys list their owner's name and email, expiry and
/// last use; the stream's `hello` carries the ping interval the server really uses, and `?lastEventId=` resumes
/// like the `Last-Event-ID` header.
@Suite(.serialized) struct AdminRealtimeAndKeysTests {
  @Test func keysNameTheirOwnerAndShowExpiryAndLastUse() async throws {
    try await LampEnv.with { env in
      let created = try await env.call(
        .post, "/api/v1/users",
        json: "{\"name\":\"Budi Santoso\",\"email\":\"budi@example.com\",\"password\":\"member-password-1\"}")
      let budi = try #require(created.data?["id"]?.lampInt)
      let expiry = Timestamp.nowMillis() + 7 * 24 * 3600 * 1000
      let key = try await env.call(
        .post, "/api/v1/integrations/clients",
        json: "{\"name\":\"Home Assistant\",\"scopes\":[\"read\"],\"ownerUserId\":\(budi),\"expiresAt\":\(expiry)}")
      #expect(key.status == 201)
      #expect(key.data?["ownerName"]?.string == "Budi Santoso")
      #expect(key.data?["ownerEmail"]?.string == "budi@example.com")
      #expect(key.data?["expiresAt"]?.lampInt == Int(expiry))
      let secret = try #require(key.data?["apiKey"]?.string)
      let adminKey = try await env.call(
        .post, "/api/v1/integrations/clients", json: "{\"name\":\"Cadangan\",\"scopes\":[\"read\"]}")
      #expect(adminKey.data?["ownerEmail"]?.string == LampEnv.adminEmail)
      #expect(adminKey.data?["expiresAt"]?.lampIsNull == true)

      func listed(_ name: String) async throws -> JSONValue? {
        let all = try await env.call(.get, "/api/v1/integrations/clients").data?.lampArray ?? []
        return all.first { $0["name"]?.string == name }
      }
      #expect(try await listed("Home Assistant")?["ownerName"]?.string == "Budi Santoso")
      #expect(try await listed("Home Assistant")?["lastUsedAt"]?.lampIsNull == true)
      #expect(try await listed("Home Assistant")?["apiKey"] == nil)
      #expect(try await env.call(.get, "/api/v1/devices", token: secret).status == 200)
      try await poll("last use recorded") {
        try await listed("Home Assistant")?["lastUsedAt"]?.lampInt != nil
      }
      let refused = try await env.call(
        .post, "/api/v1/integrations/clients", json: "{\"name\":\"x\",\"scopes\":[\"read\"],\"expiresAt\":\"kemarin\"}")
      #expect(refused.status == 400 && refused.body["error"]?["details"]?["fieldErrors"]?["expiresAt"] != nil)
    }
  }

  @Test func helloCarriesThePingIntervalAndTheQueryResumes() async throws {
    try await LampEnv.with({ $0.realtimePingIntervalMs = 1000 }) { env in
      try await env.createDevice("ping-lamp")
      let lamp = try await env.startLamp("ping-lamp")
      let first = try await SSEClient.open(port: env.port, token: env.adminToken)
      let hello = try #require(try await first.events.next(within: .seconds(5), "hello") { $0.type == "hello" })
      #expect(hello.json?["pingIntervalMs"]?.lampInt == 1000)
      let snapshot = try #require(try await first.events.next(within: .seconds(5), "snapshot") { $0.type == "status" })
      _ = try #require(try await first.events.next(within: .seconds(10), "ping") { $0.type == "ping" })
      let lastID = try #require(snapshot.id)
      await first.close()

      _ = try await env.execute("ping-lamp", "ON", requestID: "missed-by-query")
      let resumed = try await SSEClient.open(
        port: env.port, path: "/api/v1/realtime/stream?lastEventId=\(lastID)", token: env.adminToken)
      let missed = try await resumed.events.next(within: .seconds(5), "missed command") {
        $0.type == "command" || ($0.type == "status" && $0.json?["payload"]?["reportSource"]?.string == "snapshot")
      }
      // A resume replays what was missed instead of sending a fresh snapshot.
      #expect(
        missed?.type == "command" && missed?.json?["requestId"]?.string == "missed-by-query",
        "\(String(describing: missed))")
      await resumed.close()
      await lamp.stop()
    }
  }
}
