import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SmartLampStore
import Testing

@testable import SmartLampServer

/// `GET /api/v1/schedules` items carry the device's name and how the newest finished run went, for every visible
/// schedule in one answer.
@Suite struct ScheduleListRouteTests {
  @Test func itemsCarryDeviceNameAndNewestFinishedRun() async throws {
    let server = Accounts.server()
    try await server.seedDevices(["lamp-a", "lamp-b"])
    try await server.run { client in
      let admin = try await client.session()
      let onA = try #require(
        try await client.schedules(.post, as: .cookie(admin), json: ScheduleFixtures.body("lamp-a")).data?["id"]?.int)
      let onB = try #require(
        try await client.schedules(.post, as: .cookie(admin), json: ScheduleFixtures.body("lamp-b")).data?["id"]?.int)
      let insertRun = """
        INSERT INTO schedule_runs (schedule_id, device_id, planned_at, status, reason, error_message, created_at)
        VALUES (?, ?, ?, ?, ?, ?, 'x')
        """
      try await server.execute(
        insertRun, [.int64(Int64(onA)), .int64(1), .int64(1_000), .text("SUCCESS"), .null, .null])
      try await server.execute(
        insertRun, [.int64(Int64(onA)), .int64(1), .int64(2_000), .text("FAILED"), .null, .text("broker down")])
      // A claim still running is no finished run.
      try await server.execute(
        insertRun, [.int64(Int64(onA)), .int64(1), .int64(3_000), .text("SKIPPED"), .text("CLAIMED"), .null])

      let list = try await client.schedules(.get, as: .cookie(admin))
      #expect(list.status == .ok)
      let items = try #require(list.data?.array)
      #expect(items.map { $0["id"]?.int } == [onB, onA])
      let a = try #require(items.last)
      #expect(a["deviceName"]?.string == "Lamp lamp-a")
      #expect(a["lastRunStatus"]?.string == "FAILED")
      #expect(a["lastRunReason"]?.string == "broker down")
      #expect(a["deviceId"]?.string == "lamp-a" && a["cron"]?.string == "0 0 1 1 *" && a["windowGroupId"] == .null)
      let b = try #require(items.first)
      #expect(b["deviceName"]?.string == "Lamp lamp-b")
      #expect(b["lastRunStatus"] == .null && b["lastRunReason"] == .null)

      // Only the list adds them; a single schedule answers as before.
      let single = try await client.schedules(.get, "/\(onA)", as: .cookie(admin))
      #expect(single.data?["deviceName"] == nil && single.data?["lastRunStatus"] == nil)

      // A member sees the schedules of the devices it may monitor schedules on, with the same fields.
      let member = try await client.createUser(admin, email: "m@example.com")
      try await client.assign(admin, userId: member, [("lamp-a", "monitoring", "monitoring")])
      let session = try await client.session("m@example.com", "member-password-1")
      let visible = try #require(try await client.schedules(.get, as: .cookie(session)).data?.array)
      #expect(visible.map { $0["id"]?.int } == [onA])
      #expect(visible.first?["lastRunStatus"]?.string == "FAILED")
    }
  }
}
