import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ServerTestSupport
import SmartLampStore
import Testing

@testable import SmartLampServer

/// Helpers for the schedule route tests: every mutation carries a fresh `Idempotency-Key` unless told otherwise.
extension TestClientProtocol {
  func schedules(
    _ method: HTTPRequest.Method, _ path: String = "", as credential: Credential, json: JSONValue? = nil,
    key: String? = UUID().uuidString
  ) async throws -> Reply {
    var headers = HTTPFields()
    if let key, method != .get { headers[HTTPField.Name("Idempotency-Key")!] = key }
    return try await call(method, "/api/v1/schedules" + path, as: credential, json: json, headers: headers)
  }
}

enum ScheduleFixtures {
  /// A schedule that never fires during a test (1 January, 00:00).
  static func body(
    _ deviceId: String = "lamp-a", cron: String = "0 0 1 1 *", extra: [String: JSONValue] = [:]
  ) -> JSONValue {
    var body: [String: JSONValue] = [
      "deviceId": .string(deviceId), "action": "ON", "cron": .string(cron), "timezone": "Asia/Jakarta",
    ]
    body.merge(extra) { $1 }
    return .object(body)
  }
}

/// rbac-routes.test.ts items 3–8 through the real server (UPSTREAM §17, §4.6; CONTRACT §4).
@Suite struct ScheduleRBACTests {
  /// A server with devices, the first admin logged in and a member with `grant` on lamp-a.
  func withMember(
    device: String, schedule: String,
    _ body: @Sendable (any TestClientProtocol, Session, Session, Int64) async throws -> Void
  ) async throws {
    let server = Accounts.server()
    try await server.seedDevices(["lamp-a", "lamp-b"])
    try await server.run { client in
      let admin = try await client.session()
      let member = try await client.createUser(admin, email: "member@example.com")
      try await client.assign(admin, userId: member, [("lamp-a", device, schedule)])
      let session = try await client.session("member@example.com", "member-password-1")
      try await body(client, admin, session, member)
    }
  }

  @Test func item3ControlWithScheduleMonitoringCannotCreate() async throws {
    try await withMember(device: "control", schedule: "monitoring") { client, _, member, _ in
      let reply = try await client.schedules(.post, as: .cookie(member), json: ScheduleFixtures.body())
      #expect(reply.status == .forbidden)
      #expect(reply.code == "FORBIDDEN_DEVICE_ACCESS")
    }
  }

  @Test func item4ScheduleNoneSeesNothing() async throws {
    try await withMember(device: "control", schedule: "none") { client, admin, member, _ in
      let created = try await client.schedules(.post, as: .cookie(admin), json: ScheduleFixtures.body())
      #expect(created.status == .created)
      let id = try #require(created.data?["id"]?.int)
      let list = try await client.schedules(.get, as: .cookie(member))
      #expect(list.status == .ok)
      #expect(list.data?.array?.isEmpty == true)
      let runs = try await client.schedules(.get, "/\(id)/runs", as: .cookie(member))
      #expect(runs.status == .notFound)
      #expect(runs.code == "SCHEDULE_NOT_FOUND")
      let missing = try await client.schedules(.get, "/701/runs", as: .cookie(member))
      #expect(missing.code == "SCHEDULE_NOT_FOUND")
      let show = try await client.schedules(.get, "/\(id)", as: .cookie(member))
      #expect(show.code == "SCHEDULE_NOT_FOUND")
    }
  }

  @Test func item5MonitoringSeesAnotherOwnersScheduleAndItsRuns() async throws {
    let server = Accounts.server()
    try await server.seedDevices(["lamp-a", "lamp-b"])
    let scheduleId: Int64 = try await server.run { client in
      let admin = try await client.session()
      let owner = try await client.createUser(admin, email: "owner@example.com")
      #expect(owner == 2)
      try await client.assign(admin, userId: owner, [("lamp-a", "control", "manage")])
      let watcher = try await client.createUser(admin, email: "watcher@example.com")
      try await client.assign(admin, userId: watcher, [("lamp-a", "monitoring", "monitoring")])
      let created = try await client.schedules(
        .post, as: .cookie(admin), json: ScheduleFixtures.body(extra: ["targetUserId": .int(Int(owner))]))
      #expect(created.status == .created)
      // A schedule on a device the watcher cannot see stays hidden.
      _ = try await client.schedules(.post, as: .cookie(admin), json: ScheduleFixtures.body("lamp-b"))
      return Int64(try #require(created.data?["id"]?.int))
    }
    try await server.withDatabase { db in
      let repo = Store(database: db).schedules
      let schedule = try #require(try await repo.byId(scheduleId))
      _ = try await repo.claim(scheduleId: scheduleId, deviceInternalId: schedule.deviceInternalId, plannedAt: 1_000)
    }
    try await server.run { client in
      let watcher = try await client.session("watcher@example.com", "member-password-1")
      let list = try await client.schedules(.get, as: .cookie(watcher))
      #expect(list.status == .ok)
      let items = try #require(list.data?.array)
      #expect(items.count == 1)
      #expect(items.first?["userId"]?.int == 2)
      #expect(items.first?["userEmail"]?.string == "owner@example.com")
      #expect(items.first?["deviceId"]?.string == "lamp-a")
      let runs = try await client.schedules(.get, "/\(scheduleId)/runs", as: .cookie(watcher))
      #expect(runs.status == .ok)
      #expect(runs.data?.array?.count == 1)
      #expect(runs.data?.array?.first?["plannedAt"]?.int == 1_000)
      // Monitoring is not manage: the watcher sees the schedule, so a change is refused rather than "not found".
      let patch = try await client.schedules(.patch, "/\(scheduleId)", as: .cookie(watcher), json: ["enabled": false])
      #expect(patch.status == .forbidden && patch.code == "FORBIDDEN_DEVICE_ACCESS")
      let delete = try await client.schedules(.delete, "/\(scheduleId)", as: .cookie(watcher))
      #expect(delete.status == .forbidden && delete.code == "FORBIDDEN_DEVICE_ACCESS")
    }
  }

  @Test func item6InvalidComboMonitoringWithScheduleManageCannotCreate() async throws {
    let server = Accounts.server()
    try await server.seedDevices(["lamp-a"])
    try await server.run { client in
      let admin = try await client.session()
      let member = try await client.createUser(admin, email: "member@example.com")
      // The API refuses the combination, so it is stored as legacy data would be.
      try await server.execute(
        """
        INSERT INTO user_devices (user_id, device_id, role, device_permission, schedule_permission, created_at)
        VALUES (?, 1, 'member', 'monitoring', 'manage', '2026-01-01T00:00:00.000Z')
        """, [.int64(member)])
      let session = try await client.session("member@example.com", "member-password-1")
      let reply = try await client.schedules(.post, as: .cookie(session), json: ScheduleFixtures.body())
      #expect(reply.status == .forbidden)
      #expect(reply.code == "FORBIDDEN_DEVICE_ACCESS")
    }
  }

  @Test func item7ControlWithScheduleManageCreatesPatchesDeletes() async throws {
    try await withMember(device: "control", schedule: "manage") { client, admin, member, memberId in
      let reply = try await client.schedules(.post, as: .cookie(member), json: ScheduleFixtures.body())
      #expect(reply.status == .created)
      #expect(reply.data?["deviceId"]?.string == "lamp-a")
      #expect(reply.data?["userId"]?.int == Int(memberId))
      #expect(reply.data?["createdByUserId"]?.int == Int(memberId))
      let id = try #require(reply.data?["id"]?.int)
      // Not on a device without an assignment.
      let other = try await client.schedules(.post, as: .cookie(member), json: ScheduleFixtures.body("lamp-b"))
      #expect(other.code == "FORBIDDEN_DEVICE_ACCESS")
      // Not for someone else.
      let forAdmin = try await client.schedules(
        .post, as: .cookie(member), json: ScheduleFixtures.body(extra: ["targetUserId": 1]))
      #expect(forAdmin.status == .forbidden)
      #expect(forAdmin.code == "FORBIDDEN_ADMIN_REQUIRED")
      let patched = try await client.schedules(
        .patch, "/\(id)", as: .cookie(member), json: ["action": "OFF", "enabled": false])
      #expect(patched.status == .ok)
      #expect(patched.data?["action"]?.string == "OFF")
      #expect(patched.data?["enabled"]?.bool == false)
      let deleted = try await client.schedules(.delete, "/\(id)", as: .cookie(member))
      #expect(deleted.status == .ok)
      #expect(deleted.data?["deleted"]?.bool == true)
      #expect(deleted.data?["scheduleId"]?.int == id)
      let gone = try await client.schedules(.get, "/\(id)", as: .cookie(admin))
      #expect(gone.code == "SCHEDULE_NOT_FOUND")
    }
  }

  @Test func item8AdminCreatesMemberAssignsAndSchedulesForThem() async throws {
    let server = Accounts.server()
    try await server.seedDevices(["lamp-a"])
    try await server.run { client in
      let admin = try await client.session()
      let created = try await client.call(
        .post, "/api/v1/users", as: .cookie(admin),
        json: [
          "email": "member@example.com", "password": "member-password-1", "name": "Member Test", "role": "member",
        ])
      #expect(created.status == .created)
      #expect(created.data?["name"]?.string == "Member Test")
      let memberId = try #require(created.data?["id"]?.int)
      #expect(memberId == 2)
      let assignments = try await client.call(
        .put, "/api/v1/users/\(memberId)/assignments", as: .cookie(admin),
        json: [
          "assignments": [["deviceId": "lamp-a", "devicePermission": "control", "schedulePermission": "manage"]]
        ])
      #expect(assignments.status == .ok)
      let schedule = try await client.schedules(
        .post, as: .cookie(admin), json: ScheduleFixtures.body(extra: ["targetUserId": 2]))
      #expect(schedule.status == .created)
      #expect(schedule.data?["userId"]?.int == 2)
      #expect(schedule.data?["createdByUserId"]?.int == 1)
    }
  }

  @Test func adminCannotTargetAMemberWithoutScheduleRights() async throws {
    try await withMember(device: "control", schedule: "monitoring") { client, admin, _, memberId in
      let reply = try await client.schedules(
        .post, as: .cookie(admin), json: ScheduleFixtures.body(extra: ["targetUserId": .int(Int(memberId))]))
      #expect(reply.status == .forbidden)
      #expect(reply.code == "FORBIDDEN_DEVICE_ACCESS")
      let missing = try await client.schedules(
        .post, as: .cookie(admin), json: ScheduleFixtures.body(extra: ["targetUserId": 99]))
      #expect(missing.status == .notFound)
      #expect(missing.code == "USER_NOT_FOUND")
    }
  }

  @Test func apiKeysNeedTheScheduleScope() async throws {
    try await withMember(device: "control", schedule: "manage") { client, admin, _, memberId in
      let readKey = try await client.createKey(admin, scopes: ["read"], owner: memberId)
      let refused = try await client.schedules(.post, as: .bearer(readKey), json: ScheduleFixtures.body())
      #expect(refused.status == .forbidden)
      #expect(refused.code == "FORBIDDEN_SCOPE")
      let listed = try await client.schedules(.get, as: .bearer(readKey))
      #expect(listed.status == .ok)
      let key = try await client.createKey(admin, scopes: ["read", "command", "schedule"], owner: memberId)
      let created = try await client.schedules(.post, as: .bearer(key), json: ScheduleFixtures.body())
      #expect(created.status == .created)
      #expect(created.data?["userId"]?.int == Int(memberId))
    }
  }
}
