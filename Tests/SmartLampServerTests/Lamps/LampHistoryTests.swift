import Foundation
import HTTPTypes
import Logging
import MQTT
import ServerTestSupport
import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

@testable import SmartLampServer

/// `GET /api/v1/devices/{deviceId}/history` end to end: a command shows who sent it; a change made on the device
/// (a "wall switch": the state published straight on the broker) shows as the device's own, and only changes no
/// command explains are recorded.
@Suite(.serialized) struct LampHistoryTests {
  /// Publishes what a Tasmota reports after its button was pressed, from a connection of its own.
  struct WallSwitch: Sendable {
    let client: MQTTClient
    let topic: String

    static func connect(_ env: LampEnv, topic: String) async throws -> WallSwitch {
      let client = MQTTClient(
        configuration: try MQTTClientConfiguration(url: env.brokerURL, clientID: "wall-\(UUID().uuidString.prefix(8))"))
      try await client.connect()
      return WallSwitch(client: client, topic: topic)
    }

    func press(_ power: String) async throws {
      try await client.publish(topic: "stat/\(topic)/RESULT", payload: "{\"POWER\":\"\(power)\"}", qos: .atLeastOnce)
      try await client.publish(topic: "stat/\(topic)/POWER", payload: power, qos: .atLeastOnce)
    }

    func telemetry(_ power: String) async throws {
      try await client.publish(
        topic: "tele/\(topic)/STATE", payload: "{\"POWER\":\"\(power)\",\"Wifi\":{\"RSSI\":70}}", qos: .atLeastOnce)
    }
  }

  static func history(_ env: LampEnv, _ query: String = "", token: String? = nil) async throws -> Reply {
    try await env.call(.get, "/api/v1/devices/teras/history" + query, token: token)
  }

  static func items(_ reply: Reply) -> [JSONValue] { reply.data?["items"]?.lampArray ?? [] }

  @Test func commandsNameTheirSenderAndWallSwitchChangesAreTheDevices() async throws {
    try await LampEnv.with { env in
      try await env.createDevice("teras")
      let lamp = try await env.startLamp("teras")
      try await poll("lamp online") {
        try await env.call(.get, "/api/v1/devices/teras/status").data?["online"]?.lampBool == true
      }
      let created = try await env.call(
        .post, "/api/v1/users",
        json: "{\"name\":\"Siti Rahma\",\"email\":\"siti@example.com\",\"password\":\"member-password-1\"}")
      let sitiId = try #require(created.data?["id"]?.lampInt)
      try await env.assign(sitiId, ["teras": "control"])
      let siti = try await LampEnv.login(port: env.port, email: "siti@example.com", password: "member-password-1")

      #expect(try await env.execute("teras", "ON", token: siti).data?["status"]?.string == "ACKED")
      let wall = try await WallSwitch.connect(env, topic: "teras")
      try await wall.press("OFF")
      try await poll("the wall switch is in the history") {
        Self.items(try await Self.history(env)).contains { $0["kind"]?.string == "device" }
      }
      let first = Self.items(try await Self.history(env))
      // The command's own reports (RESULT and POWER ON) made no device row: exactly two entries.
      #expect(first.count == 2, "\(first)")
      #expect(first[0]["kind"]?.string == "device" && first[0]["power"]?.string == "OFF")
      #expect(first[0]["actor"] == ["type": "device", "id": .null, "name": .null])
      #expect(first[0]["status"]?.lampIsNull == true && first[0]["ackLatencyMs"]?.lampIsNull == true)
      #expect(first[1]["kind"]?.string == "command" && first[1]["power"]?.string == "ON")
      #expect(first[1]["status"]?.string == "ACKED" && first[1]["ackLatencyMs"]?.lampInt != nil)
      #expect(first[1]["actor"]?["type"]?.string == "user")
      #expect(first[1]["actor"]?["name"]?.string == "Siti Rahma")
      #expect(first[1]["actor"]?["id"]?.lampInt == sitiId)
      #expect((first[0]["at"]?.lampInt ?? 0) >= (first[1]["at"]?.lampInt ?? .max))

      // A key's command names the key; the same state reported again is no change; telemetry shows a change too.
      let key = try await env.call(
        .post, "/api/v1/integrations/clients", json: "{\"name\":\"Home Assistant\",\"scopes\":[\"command\",\"read\"]}")
      let keyToken = try #require(key.data?["apiKey"]?.string)
      #expect(try await env.execute("teras", "ON", token: keyToken).data?["status"]?.string == "ACKED")
      try await wall.press("ON")
      try await wall.telemetry("OFF")
      try await poll("the telemetry change is in the history") {
        Self.items(try await Self.history(env)).filter { $0["kind"]?.string == "device" }.count >= 2
      }
      let all = Self.items(try await Self.history(env))
      #expect(all.map { $0["kind"]?.string ?? "" } == ["device", "command", "device", "command"], "\(all)")
      #expect(all.map { $0["power"]?.string ?? "" } == ["OFF", "ON", "OFF", "ON"])
      #expect(all[1]["actor"]?["type"]?.string == "api_key" && all[1]["actor"]?["name"]?.string == "Home Assistant")
      let ids = all.compactMap { $0["id"]?.string }
      #expect(Set(ids).count == 4)

      // Pages of one walk the same list; `since` keeps the newer part.
      var walked: [String] = []
      var cursor: String?
      repeat {
        let page = try await Self.history(env, "?limit=1" + (cursor.map { "&cursor=\($0)" } ?? ""))
        #expect(page.status == 200)
        walked += Self.items(page).compactMap { $0["id"]?.string }
        cursor = page.data?["nextCursor"]?.string
      } while cursor != nil && walked.count < 10
      #expect(walked == ids)
      let since = try #require(all[1]["at"]?.lampInt)
      #expect(Self.items(try await Self.history(env, "?since=\(since)")).count == 2)

      // Who may read it: the lamp's read permission.
      #expect(try await Self.history(env, token: siti).status == 200)
      let stranger = try await env.createMember("stranger@example.com")
      let refused = try await Self.history(env, token: stranger.token)
      #expect(refused.status == 403 && refused.code == "FORBIDDEN_DEVICE_ACCESS")
      #expect(try await env.call(.get, "/api/v1/devices/nothing/history").status == 404)
      for query in ["?limit=0", "?limit=201", "?cursor=abc", "?since=-5", "?since=x"] {
        let bad = try await Self.history(env, query)
        #expect(bad.status == 400 && bad.code == "VALIDATION_ERROR", "\(query)")
      }
      await wall.client.disconnect()
      await lamp.stop()
    }
  }

  /// The device-side history is kept as long as the command log (`retention.commands-days`).
  @Test func retentionPrunesTheDeviceHistoryWithTheCommandLog() async throws {
    let server = TestServer()
    let database = try await StoreBootstrap.open(configuration: server.configuration, logger: Logger.quiet())
    let store = Store(database: database)
    let lamp = try await store.devices.create(
      NewDevice(deviceId: try DeviceID("teras"), name: "Teras", commandChannel: .power))
    let now = Timestamp.nowMillis()
    let day = RetentionService.dayMillis
    try await store.deviceHistory.record(
      [100, 95, 10, 0].map {
        NewDeviceHistory(
          deviceInternalId: lamp.id, channel: .power, power: .off, source: "tasmota_stat_power",
          occurredAt: now - $0 * day)
      })
    let service = RetentionService(
      store: store, policy: .init(commandsDays: 90, scheduleRunsDays: 0), logger: Logger.quiet())
    let pruned = await service.pruneOnce()
    #expect(pruned.deviceHistory?.rows == 2)
    #expect(try await store.lampHistory.page(deviceInternalId: lamp.id, limit: 10).items.count == 2)
    let forever = RetentionService(
      store: store, policy: .init(commandsDays: 0, scheduleRunsDays: 30), logger: Logger.quiet())
    #expect(await forever.pruneOnce().deviceHistory == nil)
    try await database.close()
  }
}
