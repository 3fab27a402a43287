import Foundation
import TestSupport
import Testing

@testable import SmartLampServer

/// Issue #8 item 1, the administrator's lamp screen: the device JSON names the topic commands go to (checked
/// against what an independent client sees on the broker), when the lamp was last heard and since when it is
/// online or offline; `/usage` names what a delete takes with it, and the delete does exactly that.
@Suite(.serialized) struct AdminDeviceTests {
  @Test func deviceJSONCarriesTheCommandTopicAndPresence() async throws {
    try await LampEnv.with { env in
      let created = try await env.createDevice("teras2", mqtt: "board4", channel: "POWER2")
      #expect(created.data?["commandTopic"]?.string == "cmnd/board4/POWER2")
      #expect(created.data?["lastSeenAt"]?.lampIsNull == true)
      #expect(created.data?["onlineChangedAt"]?.lampIsNull == true)

      let observer = try await Observer.start(url: env.brokerURL, filter: "cmnd/board4/#")
      let lamp = try await env.startLamp("board4", relays: 2)
      var online: JSONValue?
      try await poll("lamp heard and online") {
        online = try await env.call(.get, "/api/v1/devices/teras2").data
        return online?["onlineChangedAt"]?.lampInt != nil
      }
      let onlineSince = try #require(online?["onlineChangedAt"]?.lampInt)
      #expect((online?["lastSeenAt"]?.lampInt ?? 0) >= onlineSince)
      #expect(try await env.execute("teras2", "ON").data?["status"]?.string == "ACKED")
      // The topic shown is the one the server published the command on.
      #expect(observer.messages.contains { $0.topic == "cmnd/board4/POWER2" && $0.payload == "ON" })
      #expect(lamp.isOn(relay: 2))

      // The list carries the same keys.
      let listed = try await env.call(.get, "/api/v1/devices").data?.lampArray ?? []
      #expect(listed.first?["commandTopic"]?.string == "cmnd/board4/POWER2")

      // Offline: the change time moves, last seen stays at or after it.
      try await lamp.publishRaw(topic: "tele/board4/LWT", payload: "Offline")
      var offline: JSONValue?
      try await poll("offline change recorded") {
        offline = try await env.call(.get, "/api/v1/devices/teras2").data
        return (offline?["onlineChangedAt"]?.lampInt ?? 0) > onlineSince
      }
      #expect(try await env.call(.get, "/api/v1/devices/teras2/status").data?["online"]?.lampBool == false)
      // The same LWT again is no change.
      let offlineSince = try #require(offline?["onlineChangedAt"]?.lampInt)
      try await lamp.publishRaw(topic: "tele/board4/LWT", payload: "Offline")
      try await lamp.publishRaw(topic: "stat/board4/POWER2", payload: "ON")
      try await poll("later message seen") {
        (try await env.call(.get, "/api/v1/devices/teras2").data?["lastSeenAt"]?.lampInt ?? 0) > offlineSince
      }
      #expect(try await env.call(.get, "/api/v1/devices/teras2").data?["onlineChangedAt"]?.lampInt == offlineSince)
      await observer.stop()
      await lamp.stop()
    }
  }

  @Test func usageNamesWhatADeleteTakesAndTheDeleteDoesExactlyThat() async throws {
    try await LampEnv.with { env in
      try await env.createDevice("dapur")
      try await env.createDevice("other")
      let lamp = try await env.startLamp("dapur")
      try await poll("lamp online") {
        try await env.call(.get, "/api/v1/devices/dapur/status").data?["online"]?.lampBool == true
      }
      #expect(try await env.execute("dapur", "ON").data?["status"]?.string == "ACKED")
      #expect(try await env.execute("dapur", "OFF").data?["status"]?.string == "ACKED")
      // A change on the device itself (a wall switch).
      try await lamp.publishRaw(topic: "stat/dapur/POWER", payload: "ON")
      for (index, enabled) in [true, false].enumerated() {
        let schedule = try await env.call(
          .post, "/api/v1/schedules",
          json:
            "{\"deviceId\":\"dapur\",\"action\":\"ON\",\"cron\":\"0 0 1 1 *\",\"timezone\":\"UTC\",\"enabled\":\(enabled)}",
          idempotencyKey: "usage-schedule-\(index)")
        #expect(schedule.status == 201, "\(schedule.body)")
      }
      let member = try await env.createMember("usage@example.com")
      try await env.assign(member.id, ["dapur": "control", "other": "monitoring"])

      var usage: JSONValue?
      try await poll("device-side change recorded") {
        usage = try await env.call(.get, "/api/v1/devices/dapur/usage").data
        return usage?["deviceHistory"]?.lampInt == 1
      }
      #expect(usage?["deviceId"]?.string == "dapur")
      #expect(usage?["schedules"]?.lampInt == 2)
      #expect(usage?["enabledSchedules"]?.lampInt == 1)
      #expect(usage?["scheduleRuns"]?.lampInt == 0)
      #expect(usage?["commandLogs"]?.lampInt == 2)
      // The creating admin's owner row and the member's.
      #expect(usage?["assignments"]?.lampInt == 2)
      let untouched = try await env.call(.get, "/api/v1/devices/other/usage").data
      #expect(untouched?["schedules"]?.lampInt == 0 && untouched?["commandLogs"]?.lampInt == 0)

      // Admins only; unknown lamps are 404.
      let refused = try await env.call(.get, "/api/v1/devices/dapur/usage", token: member.token)
      #expect(refused.status == 403 && refused.code == "FORBIDDEN_ADMIN_REQUIRED")
      let missing = try await env.call(.get, "/api/v1/devices/nothing/usage")
      #expect(missing.status == 404 && missing.code == "DEVICE_NOT_FOUND")

      // The delete takes the schedules and the assignment, and keeps the command log.
      let deleted = try await env.call(.delete, "/api/v1/devices/dapur", idempotencyKey: "delete-dapur")
      #expect(deleted.status == 200)
      let schedules = try await env.call(.get, "/api/v1/schedules").data?.lampArray ?? []
      #expect(schedules.isEmpty, "\(schedules)")
      let commands = try await env.call(.get, "/api/v1/commands?deviceId=dapur").data?["items"]?.lampArray ?? []
      #expect(commands.count == 2)
      let visible = try await env.call(.get, "/api/v1/devices", token: member.token).data?.lampArray ?? []
      #expect(visible.compactMap { $0["id"]?.string } == ["other"])
      await lamp.stop()
    }
  }
}
