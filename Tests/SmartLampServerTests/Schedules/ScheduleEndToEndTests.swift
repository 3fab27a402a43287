import DeviceSimulator
import Foundation
import Tasmota
import TestSupport
import Testing

@testable import SmartLampServer

/// A schedule end to end: real Mosquitto, a simulated Tasmota lamp, the real server with its scheduler running.
@Suite(.serialized) struct ScheduleEndToEndTests {
  @Test func perSecondScheduleSwitchesTheLampOn() async throws {
    try await LampEnv.with { env in
      let simulator = try DeviceSimulator(
        configuration: .fleet(brokerURL: env.brokerURL, count: 1, prefix: "sched"),
        logger: DiscoveryAndDemoTests.quietLogger())
      let topic = try #require(simulator.deviceTopics.first)
      try await env.createDevice("lamp-s", mqtt: topic)
      let run = Task { await simulator.run() }
      defer { run.cancel() }
      try await poll("simulator online") {
        try await env.call(.get, "/api/v1/devices/lamp-s/status").data?["online"]?.lampBool == true
      }
      #expect(try await env.execute("lamp-s", "OFF").data?["status"]?.string == "ACKED")
      #expect(simulator.relays(of: topic)?.first == .off)

      let created = try await env.call(
        .post, "/api/v1/schedules",
        json: "{\"deviceId\":\"lamp-s\",\"action\":\"ON\",\"cron\":\"* * * * * *\",\"timezone\":\"UTC\"}",
        idempotencyKey: "schedule-1")
      #expect(created.status == 201)
      let id = try #require(created.data?["id"]?.lampInt)

      var success: JSONValue?
      try await poll("a successful, acknowledged run", timeout: .seconds(20)) {
        let runs = try await env.call(.get, "/api/v1/schedules/\(id)/runs").data?.lampArray ?? []
        success = runs.first {
          $0["status"]?.string == "SUCCESS" && $0["ackStatus"]?.string == "ACKED"
        }
        return success != nil
      }
      let runRow = try #require(success)
      let plannedAt = try #require(runRow["plannedAt"]?.lampInt)
      let requestId = try #require(runRow["requestId"]?.string)
      #expect(requestId == "sch-\(id)-\(plannedAt)")
      #expect(runRow["executedAt"]?.lampInt != nil)
      #expect(simulator.relays(of: topic)?.first == .on)

      let audit = try await env.call(.get, "/api/v1/commands/\(requestId)")
      #expect(audit.status == 200)
      #expect(audit.data?["origin"]?.string == "schedule")
      #expect(audit.data?["scheduleId"]?.lampInt == id)
      #expect(audit.data?["action"]?.string == "ON")
      #expect(audit.data?["status"]?.string == "ACKED")
      try await poll("device reports ON") {
        try await env.call(.get, "/api/v1/devices/lamp-s/status").data?["power"]?.string == "ON"
      }

      // Pausing stops it: no run is planned after the pause answered.
      let paused = try await env.call(
        .patch, "/api/v1/schedules/\(id)", json: "{\"enabled\":false}", idempotencyKey: "pause-1")
      #expect(paused.status == 200)
      #expect(paused.data?["enabled"]?.lampBool == false)
      run.cancel()
      await run.value
    }
  }
}
