import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SmartLampStore
import Testing

@testable import SmartLampServer

/// The users API and assignments (UPSTREAM §5.9, rbac-routes.test.ts 1, 8, 10, 12) without the seed-admin
/// backdoor: several admins, the last active admin protected.
@Suite struct UsersTests {
  @Test func createValidatesAndRefusesDuplicateEmails() async throws {
    try await Accounts.server().run { client in
      let admin = try await client.session()
      let created = try await client.call(
        .post, "/api/v1/users", as: .cookie(admin),
        json: ["name": "  Member Test  ", "email": "Member@Example.com", "password": "member-password-1"])
      #expect(created.status == .created)
      #expect(created.data?["name"]?.string == "Member Test")
      #expect(created.data?["role"]?.string == "member")
      #expect(created.data?["isActive"]?.bool == true)
      #expect(created.data?["isArchived"]?.bool == false)
      #expect(created.data?["deletedAt"] == .null)
      let duplicate = try await client.call(
        .post, "/api/v1/users", as: .cookie(admin),
        json: ["name": "Again", "email": "member@example.COM", "password": "member-password-1"])
      #expect(duplicate.status == .conflict && duplicate.code == "ALREADY_EXISTS")
      let bad = try await client.call(
        .post, "/api/v1/users", as: .cookie(admin),
        json: [
          "name": .string(String(repeating: "n", count: 256)), "email": "no-at-sign", "password": "short",
          "role": "owner",
        ])
      #expect(bad.status == .badRequest && bad.code == "VALIDATION_ERROR")
      let wrongType = try await client.call(
        .post, "/api/v1/users", as: .cookie(admin),
        json: ["name": "X", "email": "x@example.com", "password": "member-password-1", "isActive": "yes"])
      #expect(wrongType.status == .badRequest)
      #expect(wrongType.envelope?.error?.details?["fieldErrors"]?["isActive"] != nil)
      let fields = bad.envelope?.error?.details?["fieldErrors"]
      for field in ["name", "email", "password", "role"] { #expect(fields?[field] != nil, "\(field)") }
      let password = try await client.call(
        .post, "/api/v1/users", as: .cookie(admin),
        json: ["name": "X", "email": "x@example.com", "password": .string(String(repeating: "p", count: 129))])
      #expect(password.status == .badRequest)
      #expect(try await client.call(.post, "/api/v1/users", as: .cookie(admin), json: ["a": 1]).status == .badRequest)
    }
  }

  @Test func memberIsRefusedTheUsersAPI() async throws {
    try await Accounts.server().run { client in
      let admin = try await client.session()
      _ = try await client.createUser(admin, email: "m@example.com")
      let member = try await client.session("m@example.com", "member-password-1")
      let reply = try await client.call(.get, "/api/v1/users", as: .cookie(member))
      #expect(reply.status == .forbidden && reply.code == "FORBIDDEN_ADMIN_REQUIRED")  // rbac-routes 1
    }
  }

  @Test func listOrdersByRoleAndPaginates() async throws {
    try await Accounts.server().run { client in
      let admin = try await client.session()
      for index in 1...4 { _ = try await client.createUser(admin, email: "m\(index)@example.com") }
      _ = try await client.createUser(admin, email: "second-admin@example.com", role: "admin")
      let all = try await client.call(.get, "/api/v1/users", as: .cookie(admin))
      let emails = all.data?.array?.compactMap { $0["email"]?.string }
      #expect(
        emails == [
          Accounts.adminEmail, "second-admin@example.com", "m1@example.com", "m2@example.com", "m3@example.com",
          "m4@example.com",
        ])
      var collected: [String] = []
      var cursor: String?
      repeat {
        let uri = "/api/v1/users?limit=4" + (cursor.map { "&cursor=\($0)" } ?? "")
        let page = try await client.call(.get, uri, as: .cookie(admin))
        #expect(page.status == .ok)
        collected += page.data?["items"]?.array?.compactMap { $0["email"]?.string } ?? []
        cursor = page.data?["nextCursor"]?.string
      } while cursor != nil
      #expect(collected == emails)
      #expect(try await client.call(.get, "/api/v1/users?limit=0", as: .cookie(admin)).status == .badRequest)
      #expect(try await client.call(.get, "/api/v1/users?cursor=zzz", as: .cookie(admin)).status == .badRequest)
    }
  }

  @Test func archiveFlowBlocksTheMemberAtOnceAndRestoreBringsThemBack() async throws {
    let server = Accounts.server()
    try await server.seedDevices(["lamp-1"])
    try await server.run { client in
      let admin = try await client.session()
      let id = try await client.createUser(admin, email: "member@example.com", name: "Member Test")
      try await client.assign(admin, userId: id, [("lamp-1", "control", "manage")])
      try await server.execute(
        """
        INSERT INTO device_schedules (user_id, device_id, action, cron_expr, timezone, enabled, next_run_at,
          created_at, updated_at) VALUES (?, 1, 'ON', '0 8 * * *', 'UTC', 1, 0, 'x', 'x')
        """, [.int64(id)])
      let member = try await client.session("member@example.com", "member-password-1")
      let archived = try await client.call(.delete, "/api/v1/users/\(id)", as: .cookie(admin))
      #expect(archived.status == .ok)
      #expect(archived.data?["isArchived"]?.bool == true && archived.data?["isActive"]?.bool == false)
      #expect(archived.data?["deletedByUserId"]?.int == 1)
      // Archiving pauses the member's schedules.
      #expect(try await server.scalar("SELECT enabled FROM device_schedules") == .int64(0))
      let list = try await client.call(.get, "/api/v1/users", as: .cookie(admin))
      #expect(list.data?.array?.contains { $0["id"]?.int == Int(id) } == false)
      let withArchived = try await client.call(.get, "/api/v1/users?includeArchived=1", as: .cookie(admin))
      #expect(withArchived.data?.array?.first { $0["id"]?.int == Int(id) }?["isArchived"]?.bool == true)
      #expect(try await client.login("member@example.com", "member-password-1").status == .unauthorized)
      // The member's still-valid JWT and refresh token stop working on the next request.
      #expect(try await client.call(.get, "/api/v1/bootstrap", as: .cookie(member)).status == .unauthorized)
      #expect(
        try await client.call(.post, "/api/v1/auth/refresh", as: .refresh(member.refreshToken)).status
          == .unauthorized)
      let edit = try await client.call(.patch, "/api/v1/users/\(id)", as: .cookie(admin), json: ["name": "New"])
      #expect(
        edit.status == .badRequest && edit.envelope?.error?.message == "Archived user must be restored before editing")
      let restored = try await client.call(.post, "/api/v1/users/\(id)/restore", as: .cookie(admin))
      #expect(restored.status == .ok)
      #expect(restored.data?["isArchived"]?.bool == false && restored.data?["isActive"]?.bool == true)
      #expect(try await client.login("member@example.com", "member-password-1").status == .ok)
      #expect(try await client.call(.delete, "/api/v1/users/999", as: .cookie(admin)).code == "USER_NOT_FOUND")
      #expect(try await client.call(.post, "/api/v1/users/999/restore", as: .cookie(admin)).code == "USER_NOT_FOUND")
      #expect(try await client.call(.delete, "/api/v1/users/abc", as: .cookie(admin)).status == .badRequest)
    }
  }

  @Test func theLastActiveAdminIsProtectedButSeveralAdminsAreAllowed() async throws {
    try await Accounts.server().run { client in
      let admin = try await client.session()
      let demote = try await client.call(.patch, "/api/v1/users/1", as: .cookie(admin), json: ["role": "member"])
      #expect(demote.status == .badRequest)
      let deactivate = try await client.call(.patch, "/api/v1/users/1", as: .cookie(admin), json: ["isActive": false])
      #expect(deactivate.status == .badRequest)
      #expect(try await client.call(.delete, "/api/v1/users/1", as: .cookie(admin)).status == .badRequest)

      let second = try await client.createUser(admin, email: "second@example.com", role: "admin")
      let secondSession = try await client.session("second@example.com", "member-password-1")
      #expect(try await client.call(.get, "/api/v1/users", as: .cookie(secondSession)).status == .ok)
      // With another active admin, the first may be demoted — by the second.
      let ok = try await client.call(.patch, "/api/v1/users/1", as: .cookie(secondSession), json: ["role": "member"])
      #expect(ok.status == .ok && ok.data?["role"]?.string == "member")
      // Now the second is the last one.
      let last = try await client.call(
        .delete, "/api/v1/users/\(second)", as: .cookie(secondSession))
      #expect(last.status == .badRequest)
      let demoteLast = try await client.call(
        .patch, "/api/v1/users/\(second)", as: .cookie(secondSession), json: ["role": "member"])
      #expect(demoteLast.status == .badRequest)
      // The demoted first admin's session now acts as a member.
      #expect(try await client.call(.get, "/api/v1/users", as: .cookie(admin)).code == "FORBIDDEN_ADMIN_REQUIRED")
    }
  }

  @Test func patchEditsAndResetPasswordEndsTheTargetsSessions() async throws {
    try await Accounts.server().run { client in
      let admin = try await client.session()
      let id = try await client.createUser(admin, email: "m@example.com")
      _ = try await client.createUser(admin, email: "taken@example.com")
      let member = try await client.session("m@example.com", "member-password-1")
      let conflict = try await client.call(
        .patch, "/api/v1/users/\(id)", as: .cookie(admin), json: ["email": "TAKEN@example.com"])
      #expect(conflict.status == .conflict && conflict.code == "ALREADY_EXISTS")
      let empty = try await client.call(.patch, "/api/v1/users/\(id)", as: .cookie(admin), json: [:])
      #expect(empty.status == .badRequest)
      let reset = try await client.call(
        .patch, "/api/v1/users/\(id)", as: .cookie(admin), json: ["password": "reset-password-9", "name": "Renamed"])
      #expect(reset.status == .ok && reset.data?["name"]?.string == "Renamed")
      #expect(try await client.call(.get, "/api/v1/profile", as: .cookie(member)).status == .unauthorized)
      #expect(try await client.login("m@example.com", "reset-password-9").status == .ok)
      #expect(
        try await client.call(.patch, "/api/v1/users/999", as: .cookie(admin), json: ["name": "X"]).code
          == "USER_NOT_FOUND")
      let selfOff = try await client.call(.patch, "/api/v1/users/1", as: .cookie(admin), json: ["isActive": false])
      #expect(selfOff.status == .badRequest)
    }
  }

  @Test func inactiveUsersRefreshIsRefused() async throws {
    try await Accounts.server().run { client in
      let admin = try await client.session()
      let id = try await client.createUser(admin, email: "m@example.com")
      let member = try await client.session("m@example.com", "member-password-1")
      try await #require(
        client.call(.patch, "/api/v1/users/\(id)", as: .cookie(admin), json: ["isActive": false]).status == .ok)
      let reply = try await client.call(.post, "/api/v1/auth/refresh", as: .refresh(member.refreshToken))
      #expect(reply.status == .unauthorized && reply.code == "AUTH_INVALID_TOKEN")  // rbac-routes 12
    }
  }

  @Test func assignmentsListEveryDeviceAndReplaceInOneTransaction() async throws {
    let server = Accounts.server()
    try await server.seedDevices(["lamp-a", "lamp-b", "lamp-c"])
    try await server.run { client in
      let admin = try await client.session()
      let id = try await client.createUser(admin, email: "m@example.com")
      let put = try await client.call(
        .put, "/api/v1/users/\(id)/assignments", as: .cookie(admin),
        json: [
          "assignments": [
            ["deviceId": "lamp-a", "devicePermission": "control", "schedulePermission": "manage"],
            ["deviceId": "lamp-b"],
            ["deviceId": "lamp-c", "assigned": false, "devicePermission": "manage"],
          ]
        ])
      #expect(put.status == .ok)
      #expect(put.data?["userId"]?.int == Int(id))
      #expect(put.data?["assignments"]?.array?.count == 2)
      #expect(put.data?["assignments"]?.array?.last?["devicePermission"]?.string == "monitoring")
      #expect(put.data?["assignments"]?.array?.last?["schedulePermission"]?.string == "none")
      let get = try await client.call(.get, "/api/v1/users/\(id)/assignments", as: .cookie(admin))
      let entries = try #require(get.data?["assignments"]?.array)
      #expect(entries.map { $0["deviceId"]?.string } == ["lamp-a", "lamp-b", "lamp-c"])
      #expect(entries.map { $0["assigned"]?.bool } == [true, true, false])
      #expect(entries[0]["schedulePermission"]?.string == "manage")
      #expect(entries[2]["devicePermission"]?.string == "monitoring")
      #expect(get.data?["user"]?["email"]?.string == "m@example.com")

      // A failing entry leaves everything as it was.
      let before = try await server.scalar("SELECT COUNT(*) FROM user_devices WHERE user_id = ?", [.int64(id)])
      let cases: [(JSONValue, HTTPResponse.Status, String, String?)] = [
        ([["deviceId": "lamp-a"], ["deviceId": "lamp-a"]], .badRequest, "Duplicate device assignment", "lamp-a"),
        ([["deviceId": "lamp-a"], ["deviceId": "nope"]], .notFound, "Device not found", "nope"),
        (
          [["deviceId": "lamp-b", "devicePermission": "monitoring", "schedulePermission": "manage"]], .badRequest,
          "Schedule manage requires device control or manage permission", "lamp-b"
        ),
      ]
      for (list, status, message, deviceId) in cases {
        let reply = try await client.call(
          .put, "/api/v1/users/\(id)/assignments", as: .cookie(admin), json: ["assignments": list])
        #expect(reply.status == status)
        #expect(reply.envelope?.error?.message == message)
        #expect(reply.envelope?.error?.details?["deviceId"]?.string == deviceId)
      }
      #expect(try await server.scalar("SELECT COUNT(*) FROM user_devices WHERE user_id = ?", [.int64(id)]) == before)
      let notFound = try await client.call(
        .put, "/api/v1/users/\(id)/assignments", as: .cookie(admin),
        json: ["assignments": [["deviceId": "nope"]]])
      #expect(notFound.code == "DEVICE_NOT_FOUND")
      let toAdmin = try await client.call(
        .put, "/api/v1/users/1/assignments", as: .cookie(admin), json: ["assignments": []])
      #expect(
        toAdmin.status == .badRequest && toAdmin.envelope?.error?.message == "Only member users can receive assignments"
      )
      #expect(
        try await client.call(
          .put, "/api/v1/users/999/assignments", as: .cookie(admin),
          json: ["assignments": []]
        ).code == "USER_NOT_FOUND")
      let tooMany = JSONValue.array(Array(repeating: ["deviceId": "lamp-a"], count: 501))
      #expect(
        try await client.call(
          .put, "/api/v1/users/\(id)/assignments", as: .cookie(admin),
          json: ["assignments": tooMany]
        ).status == .badRequest)
      #expect(
        try await client.call(
          .put, "/api/v1/users/\(id)/assignments", as: .cookie(admin),
          json: ["assignments": [["deviceId": "lamp-a", "devicePermission": "owner"]]]
        ).status == .badRequest)
    }
  }

  @Test func losingScheduleRightsPausesTheMembersSchedules() async throws {
    let server = Accounts.server()
    try await server.seedDevices(["lamp-a", "lamp-b"])
    try await server.run { client in
      let admin = try await client.session()
      let id = try await client.createUser(admin, email: "m@example.com")
      try await client.assign(admin, userId: id, [("lamp-a", "control", "manage"), ("lamp-b", "control", "manage")])
      for device in [1, 2] {
        try await server.execute(
          """
          INSERT INTO device_schedules (user_id, device_id, action, cron_expr, timezone, enabled, next_run_at,
            created_at, updated_at) VALUES (?, ?, 'ON', '0 8 * * *', 'UTC', 1, 0, 'x', 'x')
          """, [.int64(id), .int64(Int64(device))])
      }
      try await client.assign(
        admin, userId: id, [("lamp-a", "control", "manage"), ("lamp-b", "control", "monitoring")])
      #expect(try await server.scalar("SELECT enabled FROM device_schedules WHERE device_id = 1") == .int64(1))
      #expect(try await server.scalar("SELECT enabled FROM device_schedules WHERE device_id = 2") == .int64(0))
    }
  }
}
