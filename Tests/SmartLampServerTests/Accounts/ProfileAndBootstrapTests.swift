import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SmartLampStore
import Testing

@testable import SmartLampServer

/// Profile (UPSTREAM §5.8) and bootstrap (§5.3 with CONTRACT's 401).
@Suite struct ProfileAndBootstrapTests {
  @Test func profileShowsAndEditsTheCaller() async throws {
    try await Accounts.server().run { client in
      let admin = try await client.session()
      _ = try await client.createUser(admin, email: "taken@example.com")
      let shown = try await client.call(.get, "/api/v1/profile", as: .cookie(admin))
      #expect(shown.status == .ok)
      for key in [
        "id", "name", "email", "role", "isActive", "createdAt", "updatedAt", "deletedAt", "deletedByUserId",
        "isArchived",
      ] {
        guard case .object(let object)? = shown.data else { Issue.record("no object"); return }
        #expect(object[key] != nil, "\(key)")
      }
      let renamed = try await client.call(
        .patch, "/api/v1/profile", as: .cookie(admin), json: ["name": "  Boss  ", "email": "boss@example.com"])
      #expect(renamed.status == .ok)
      #expect(renamed.data?["name"]?.string == "Boss" && renamed.data?["email"]?.string == "boss@example.com")
      let conflict = try await client.call(
        .patch, "/api/v1/profile", as: .cookie(admin), json: ["email": "Taken@example.com"])
      #expect(conflict.status == .conflict && conflict.code == "ALREADY_EXISTS")
      let wrong = try await client.call(
        .patch, "/api/v1/profile", as: .cookie(admin),
        json: ["currentPassword": "not-the-password", "newPassword": "new-password-1"])
      #expect(wrong.status == .unauthorized && wrong.code == "AUTH_INVALID_CREDENTIALS")
      let noCurrent = try await client.call(
        .patch, "/api/v1/profile", as: .cookie(admin), json: ["newPassword": "new-password-1"])
      #expect(
        noCurrent.status == .badRequest && noCurrent.envelope?.error?.details?["fieldErrors"]?["currentPassword"] != nil
      )
      #expect(try await client.call(.patch, "/api/v1/profile", as: .cookie(admin), json: [:]).status == .badRequest)
      #expect(
        try await client.call(.patch, "/api/v1/profile", as: .cookie(admin), json: ["name": ""]).status == .badRequest)
    }
  }

  @Test func bootstrapNeedsAPrincipalAndListsVisibleDevices() async throws {
    let server = Accounts.server()
    try await server.seedDevices(["lamp-a", "lamp-b", "lamp-c"])
    try await server.run { client in
      let anonymous = try await client.call(.get, "/api/v1/bootstrap")
      #expect(anonymous.status == .unauthorized && anonymous.code == "NOT_AUTHENTICATED")
      let admin = try await client.session()
      let adminView = try await client.call(.get, "/api/v1/bootstrap", as: .cookie(admin))
      #expect(adminView.status == .ok)
      let devices = try #require(adminView.data?["devices"]?.array)
      #expect(devices.map { $0["id"]?.string } == ["lamp-a", "lamp-b", "lamp-c"])
      #expect(
        devices.allSatisfy {
          $0["devicePermission"]?.string == "manage" && $0["schedulePermission"]?.string == "manage"
        })
      #expect(devices.first?["commandChannel"]?.string == "POWER")
      #expect(devices.first?["location"]?.string == "Room")
      #expect(adminView.data?["viewer"]?["kind"]?.string == "user")
      #expect(adminView.data?["viewer"]?["role"]?.string == "admin")
      #expect(adminView.data?["realtime"]?["mode"]?.string == "proxy_sse")
      #expect(adminView.data?["realtime"]?["streamPath"]?.string == "/api/v1/realtime/stream")

      let id = try await client.createUser(admin, email: "m@example.com")
      try await client.assign(
        admin, userId: id, [("lamp-c", "control", "monitoring"), ("lamp-a", "monitoring", "none")])
      let member = try await client.session("m@example.com", "member-password-1")
      let memberView = try await client.call(.get, "/api/v1/bootstrap", as: .cookie(member))
      let visible = try #require(memberView.data?["devices"]?.array)
      #expect(visible.map { $0["id"]?.string } == ["lamp-a", "lamp-c"])
      #expect(visible.map { $0["devicePermission"]?.string } == ["monitoring", "control"])
      #expect(visible.map { $0["schedulePermission"]?.string } == ["none", "monitoring"])
      #expect(memberView.data?["viewer"]?["role"]?.string == "member")

      // An expired token is a 401 with the expiry code, not an anonymous 200 as upstream.
      var claims = TokenForgery.claims(of: member.accessToken)
      claims["exp"] = 100
      let expired = TokenForgery.make(
        header: ["alg": "HS256", "typ": "JWT"], claims: claims, secret: Accounts.jwtSecret)
      #expect(try await client.call(.get, "/api/v1/bootstrap", as: .bearer(expired)).code == "AUTH_EXPIRED_TOKEN")
    }
  }
}
