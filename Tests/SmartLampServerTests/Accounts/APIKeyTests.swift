import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ServerTestSupport
import SmartLampStore
import Testing

@testable import SmartLampServer

/// API keys (CONTRACT §3, UPSTREAM §4.9 hardened per §20.10).
@Suite struct APIKeyTests {
  @Test func createShowsTheKeyOnceAndStoresOnlyItsHash() async throws {
    let server = Accounts.server()
    try await server.run { client in
      let admin = try await client.session()
      let created = try await client.call(
        .post, "/api/v1/integrations/clients", as: .cookie(admin),
        json: ["name": "Home Assistant", "scopes": ["read", "command"]])
      #expect(created.status == .created)
      let key = try #require(created.data?["apiKey"]?.string)
      #expect(key.hasPrefix("slk_") && key.count == 4 + 43)
      #expect(key.dropFirst(4).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
      #expect(created.data?["scopes"]?.array == ["read", "command"])
      #expect(created.data?["ownerUserId"]?.int == 1)
      #expect(created.data?["isActive"]?.bool == true)
      #expect(created.data?["expiresAt"] == .null && created.data?["lastUsedAt"] == .null)
      let stored = try await server.scalar("SELECT api_key_hash FROM integration_clients")
      #expect(stored == .text(SecretTokens.sha256Hex(key)))
      #expect(
        try await server.scalar(
          "SELECT COUNT(*) FROM integration_clients WHERE api_key_hash LIKE '%' || ? || '%'",
          [.text(String(key.dropFirst(4)))]) == .int64(0))

      let listed = try await client.call(.get, "/api/v1/integrations/clients", as: .cookie(admin))
      #expect(listed.status == .ok)
      #expect(listed.data?.array?.count == 1)
      #expect(listed.data?.array?.first?["apiKey"] == nil)
      #expect(listed.data?.array?.first?["keyPrefix"]?.string == String(key.prefix(10)))

      // The key works as a bearer token and records its use.
      let boot = try await client.call(.get, "/api/v1/bootstrap", as: .bearer(key))
      #expect(boot.status == .ok)
      #expect(boot.data?["viewer"]?["kind"]?.string == "client")
      #expect(boot.data?["viewer"]?["name"]?.string == "Home Assistant")
      let used = try await client.call(.get, "/api/v1/integrations/clients", as: .cookie(admin))
      #expect(used.data?.array?.first?["lastUsedAt"]?.int != nil)

      // Revocation takes effect on the next request.
      let revoked = try await client.call(.delete, "/api/v1/integrations/clients/1", as: .cookie(admin))
      #expect(revoked.status == .ok && revoked.data?["isActive"]?.bool == false)
      let refused = try await client.call(.get, "/api/v1/bootstrap", as: .bearer(key))
      #expect(refused.status == .unauthorized && refused.code == "AUTH_INVALID_TOKEN")
      #expect(try await client.call(.delete, "/api/v1/integrations/clients/99", as: .cookie(admin)).status == .notFound)
      // A key is never read from the cookie.
      let asCookie = try await client.call(
        .get, "/api/v1/bootstrap", as: .cookie(Session(accessToken: key, refreshToken: "")))
      #expect(asCookie.status == .unauthorized)
    }
  }

  @Test func creationIsValidated() async throws {
    try await Accounts.server().run { client in
      let admin = try await client.session()
      let bodies: [(JSONValue, String)] = [
        (["scopes": ["read"]], "name"),
        (["name": "x", "scopes": []], "scopes"),
        (["name": "x", "scopes": ["read", "fly"]], "scopes"),
        (["name": "x", "scopes": ["read"], "expiresAt": 1000], "expiresAt"),
        (["name": "x", "scopes": ["read"], "expiresAt": "tomorrow"], "expiresAt"),
        (["name": .string(String(repeating: "k", count: 256)), "scopes": ["read"]], "name"),
      ]
      for (body, field) in bodies {
        let reply = try await client.call(.post, "/api/v1/integrations/clients", as: .cookie(admin), json: body)
        #expect(reply.status == .badRequest, "\(field)")
        #expect(reply.envelope?.error?.details?["fieldErrors"]?[field] != nil, "\(field)")
      }
      let unknownOwner = try await client.call(
        .post, "/api/v1/integrations/clients", as: .cookie(admin),
        json: ["name": "x", "scopes": ["read"], "ownerUserId": 77])
      #expect(unknownOwner.code == "USER_NOT_FOUND")
      let future = Date().addingTimeInterval(3600).formatted(.iso8601)
      let withExpiry = try await client.call(
        .post, "/api/v1/integrations/clients", as: .cookie(admin),
        json: ["name": "x", "scopes": ["*"], "expiresAt": .string(future)])
      #expect(withExpiry.status == .created && withExpiry.data?["expiresAt"]?.int != nil)
      #expect(withExpiry.data?["scopes"]?.array == ["*"])
    }
  }

  @Test func expiredKeysAnswerExpired() async throws {
    let server = Accounts.server()
    try await server.run { client in
      let admin = try await client.session()
      let key = try await client.createKey(admin, scopes: ["read"])
      try await server.execute("UPDATE integration_clients SET expires_at = 1")
      let reply = try await client.call(.get, "/api/v1/bootstrap", as: .bearer(key))
      #expect(reply.status == .unauthorized && reply.code == "AUTH_EXPIRED_TOKEN")
    }
  }

  @Test func aKeyNeverSeesMoreThanItsOwnerAndItsScopes() async throws {
    let server = Accounts.server()
    try await server.seedDevices(["lamp-a", "lamp-b", "lamp-c"])
    try await server.run { client in
      let admin = try await client.session()
      let member = try await client.createUser(admin, email: "m@example.com")
      try await client.assign(admin, userId: member, [("lamp-b", "manage", "manage")])
      let readKey = try await client.createKey(admin, scopes: ["read"], owner: member)
      let view = try await client.call(.get, "/api/v1/bootstrap", as: .bearer(readKey))
      let devices = try #require(view.data?["devices"]?.array)
      #expect(devices.map { $0["id"]?.string } == ["lamp-b"])
      // Capped by the scopes: read alone means monitoring.
      #expect(devices.first?["devicePermission"]?.string == "monitoring")
      #expect(devices.first?["schedulePermission"]?.string == "monitoring")
      let commandKey = try await client.createKey(admin, scopes: ["read", "command"], owner: member)
      let commandView = try await client.call(.get, "/api/v1/bootstrap", as: .bearer(commandKey))
      #expect(commandView.data?["devices"]?.array?.first?["devicePermission"]?.string == "control")
      // The owner archived: the key can do nothing at all.
      _ = try await client.call(.delete, "/api/v1/users/\(member)", as: .cookie(admin))
      let orphan = try await client.call(.get, "/api/v1/bootstrap", as: .bearer(readKey))
      #expect(orphan.status == .forbidden)
      // A key with an admin owner but no read scope cannot list devices.
      let commandOnly = try await client.createKey(admin, scopes: ["command"])
      let noRead = try await client.call(.get, "/api/v1/bootstrap", as: .bearer(commandOnly))
      #expect(noRead.status == .forbidden && noRead.code == "FORBIDDEN_SCOPE")
      #expect(noRead.envelope?.error?.details?["scope"]?.string == "read")
    }
  }

  /// Generated from the router: every /api/v1 route is listed (upstream's hand-written list omitted commands).
  @Test func capabilitiesListEveryRouteForAReadKey() async throws {
    try await Accounts.server().run { client in
      let admin = try await client.session()
      let readKey = try await client.createKey(admin, scopes: ["read"])
      let reply = try await client.call(.get, "/api/v1/integrations/capabilities", as: .bearer(readKey))
      #expect(reply.status == .ok)
      let endpoints = Set(reply.data?["endpoints"]?.array?.compactMap(\.string) ?? [])
      for expected in [
        "/api/v1/devices", "/api/v1/devices/{deviceId} [PATCH]", "/api/v1/commands/execute [POST]",
        "/api/v1/commands/{requestId}", "/api/v1/realtime/stream", "/api/v1/integrations/capabilities",
        "/api/v1/users/{userId}/assignments [PUT]",
      ] {
        #expect(endpoints.contains(expected), "\(expected) missing from \(endpoints.sorted())")
      }
      #expect(reply.data?["scopes"]?.array?.compactMap(\.string) == ["read", "command", "schedule", "admin"])
      let commandOnly = try await client.createKey(admin, scopes: ["command"])
      let refused = try await client.call(.get, "/api/v1/integrations/capabilities", as: .bearer(commandOnly))
      #expect(refused.status == .forbidden && refused.code == "FORBIDDEN_SCOPE")
      let anonymous = try await client.call(.get, "/api/v1/integrations/capabilities")
      #expect(anonymous.status == .unauthorized)
    }
  }

  @Test func onlyUserAdminsManageKeys() async throws {
    try await Accounts.server().run { client in
      let admin = try await client.session()
      _ = try await client.createUser(admin, email: "m@example.com")
      let member = try await client.session("m@example.com", "member-password-1")
      let body: JSONValue = ["name": "x", "scopes": ["read"]]
      let byMember = try await client.call(.post, "/api/v1/integrations/clients", as: .cookie(member), json: body)
      #expect(byMember.status == .forbidden && byMember.code == "FORBIDDEN_ADMIN_REQUIRED")
      let adminKey = try await client.createKey(admin, scopes: ["*"])
      let byKey = try await client.call(.post, "/api/v1/integrations/clients", as: .bearer(adminKey), json: body)
      #expect(byKey.status == .forbidden)
    }
  }
}
