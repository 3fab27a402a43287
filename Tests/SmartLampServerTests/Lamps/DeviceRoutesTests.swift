import Foundation
import TestSupport
import Testing

@testable import SmartLampServer

/// The devices API (UPSTREAM §5.7 with CONTRACT §5) through the real server.
@Suite(.serialized) struct DeviceRoutesTests {
  @Test func createShowPatchDelete() async throws {
    try await LampEnv.with { env in
      let created = try await env.createDevice("Lamp_One-1", mqtt: "tasmota_1", channel: "power2")
      #expect(created.data?["id"]?.string == "Lamp_One-1")
      #expect(created.data?["mqttDeviceId"]?.string == "tasmota_1")
      #expect(created.data?["commandChannel"]?.string == "POWER2")
      #expect(created.data?["location"]?.lampIsNull == true)

      let replay = try await env.call(
        .post, "/api/v1/devices",
        json:
          "{\"deviceId\":\"Lamp_One-1\",\"name\":\"Lamp Lamp_One-1\",\"mqttDeviceId\":\"tasmota_1\",\"commandChannel\":\"power2\"}",
        idempotencyKey: "create-Lamp_One-1")
      #expect(replay.status == 201)
      #expect(replay.headers[.init("Idempotent-Replayed")!] == "true")

      let duplicate = try await env.call(
        .post, "/api/v1/devices", json: "{\"deviceId\":\"Lamp_One-1\",\"name\":\"Again\"}", idempotencyKey: "dup")
      #expect(duplicate.status == 409)
      #expect(duplicate.code == "ALREADY_EXISTS")

      let shown = try await env.call(.get, "/api/v1/devices/Lamp_One-1")
      #expect(shown.data?["devicePermission"]?.string == "manage")
      #expect(try await env.call(.get, "/api/v1/devices").data?.lampArray?.count == 1)

      let patched = try await env.call(
        .patch, "/api/v1/devices/Lamp_One-1", json: "{\"name\":\"  Porch  \",\"location\":\"Outside\"}",
        idempotencyKey: "patch-1")
      #expect(patched.status == 200)
      #expect(patched.data?["name"]?.string == "Porch")
      #expect(patched.data?["location"]?.string == "Outside")
      let cleared = try await env.call(
        .patch, "/api/v1/devices/Lamp_One-1", json: "{\"location\":null}", idempotencyKey: "patch-2")
      #expect(cleared.data?["location"]?.lampIsNull == true)
      let empty = try await env.call(.patch, "/api/v1/devices/Lamp_One-1", json: "{}", idempotencyKey: "patch-3")
      #expect(empty.status == 400)

      let deleted = try await env.call(.delete, "/api/v1/devices/Lamp_One-1", idempotencyKey: "delete-1")
      #expect(deleted.status == 200)
      #expect(deleted.data?["deleted"]?.lampBool == true)
      #expect(try await env.call(.get, "/api/v1/devices/Lamp_One-1").status == 404)
      #expect(try await env.call(.get, "/api/v1/devices").data?.lampArray?.count == 0)
      let again = try await env.call(.delete, "/api/v1/devices/Lamp_One-1", idempotencyKey: "delete-2")
      #expect(again.status == 404)
      #expect(again.code == "DEVICE_NOT_FOUND")
    }
  }

  @Test(arguments: ["a+b", "a#b", "a/b", "a b", "tab\\tid", "nl\\nid", ""])
  func deviceIDsWithWildcardsOrControlCharactersAreRefused(id: String) async throws {
    try await LampEnv.with { env in
      let reply = try await env.call(
        .post, "/api/v1/devices", json: "{\"deviceId\":\"\(id)\",\"name\":\"x\"}", idempotencyKey: "k")
      #expect(reply.status == 400)
      #expect(reply.code == "VALIDATION_ERROR")
      #expect(reply.body["error"]?["details"]?["fieldErrors"]?["deviceId"] != nil)
    }
  }

  @Test func invalidChannelAndMissingKey() async throws {
    try await LampEnv.with { env in
      let channel = try await env.call(
        .post, "/api/v1/devices", json: "{\"deviceId\":\"x1\",\"name\":\"x\",\"commandChannel\":\"RELAY\"}",
        idempotencyKey: "k1")
      #expect(channel.status == 400)
      #expect(channel.body["error"]?["details"]?["fieldErrors"]?["commandChannel"] != nil)
      let noKey = try await env.call(.post, "/api/v1/devices", json: "{\"deviceId\":\"x1\",\"name\":\"x\"}")
      #expect(noKey.status == 400)
      #expect(noKey.code == "IDEMPOTENCY_KEY_REQUIRED")
      let noAuth = try await LampEnv.call(port: env.port, .get, "/api/v1/devices")
      #expect(noAuth.status == 401)
    }
  }

  @Test func membersSeeOnlyAssignedDevicesAndCannotManage() async throws {
    try await LampEnv.with { env in
      try await env.createDevice("mine")
      try await env.createDevice("theirs")
      let member = try await env.createMember("member@example.com")
      try await env.assign(member.id, ["mine": "control"])
      let list = try await env.call(.get, "/api/v1/devices", token: member.token)
      #expect(list.data?.lampArray?.map { $0["id"]?.string } == ["mine"])
      #expect(list.data?.lampArray?.first?["devicePermission"]?.string == "control")
      #expect(try await env.call(.get, "/api/v1/devices/theirs", token: member.token).status == 403)
      #expect(try await env.call(.get, "/api/v1/devices/ghost", token: member.token).status == 404)
      let patch = try await env.call(
        .patch, "/api/v1/devices/mine", json: "{\"name\":\"n\"}", token: member.token, idempotencyKey: "p")
      #expect(patch.status == 403)
      let create = try await env.call(
        .post, "/api/v1/devices", json: "{\"deviceId\":\"m2\",\"name\":\"n\"}", token: member.token,
        idempotencyKey: "c")
      #expect(create.status == 403)
      #expect(create.code == "FORBIDDEN_ADMIN_REQUIRED")
    }
  }

  @Test func deleteRemovesAssignmentsButKeepsTheCommandLog() async throws {
    try await LampEnv.with { env in
      try await env.createDevice("gone")
      let lamp = try await env.startLamp("gone")
      #expect(try await env.execute("gone", "ON", requestID: "before-delete").data?["status"]?.string == "ACKED")
      let member = try await env.createMember("x@example.com")
      try await env.assign(member.id, ["gone": "control"])
      #expect(try await env.call(.delete, "/api/v1/devices/gone", idempotencyKey: "d").status == 200)
      #expect(try await env.call(.get, "/api/v1/devices", token: member.token).data?.lampArray?.count == 0)
      let log = try await env.call(.get, "/api/v1/commands?deviceId=gone")
      #expect(log.data?["items"]?.lampArray?.first?["deviceId"]?.string == "gone")
      #expect(log.data?["items"]?.lampArray?.first?["requestId"]?.string == "before-delete")
      await lamp.stop()
    }
  }

  @Test func commandLogIsPaginatedNewestFirst() async throws {
    try await LampEnv.with({ $0.commandRateLimitMax = 0 }) { env in
      try await env.createDevice("pg")
      let lamp = try await env.startLamp("pg")
      for index in 0..<5 { _ = try await env.execute("pg", index % 2 == 0 ? "ON" : "OFF", requestID: "r\(index)") }
      let first = try await env.call(.get, "/api/v1/commands?limit=2")
      let items = first.data?["items"]?.lampArray ?? []
      #expect(items.map { $0["requestId"]?.string } == ["r4", "r3"])
      let cursor = try #require(first.data?["nextCursor"]?.string)
      let second = try await env.call(.get, "/api/v1/commands?limit=2&cursor=\(cursor)")
      #expect(second.data?["items"]?.lampArray?.map { $0["requestId"]?.string } == ["r2", "r1"])
      let last = try await env.call(.get, "/api/v1/commands?limit=200&cursor=\(cursor)")
      #expect(last.data?["nextCursor"]?.lampIsNull == true)
      #expect(try await env.call(.get, "/api/v1/commands?limit=500").status == 400)
      await lamp.stop()
    }
  }
}
