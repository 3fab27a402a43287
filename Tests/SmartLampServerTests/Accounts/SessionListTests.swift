import Foundation
import HTTPTypes
import HummingbirdTesting
import ServerTestSupport
import SmartLampStore
import TestSupport
import Testing

@testable import SmartLampServer

/// `GET|DELETE /api/v1/auth/sessions[/{id}]`: a person sees and ends only their own sessions, and a revoked
/// session's access token is refused on its very next request, although the session cache remembered it live.
@Suite struct SessionListTests {
  static func headers(agent: String) -> HTTPFields {
    var headers = HTTPFields()
    headers[.userAgent] = agent
    return headers
  }

  static func session(
    _ client: some TestClientProtocol, agent: String, email: String = Accounts.adminEmail,
    password: String = Accounts.adminPassword
  ) async throws -> Session {
    let reply = try await client.login(email, password, headers: headers(agent: agent))
    return try #require(reply.session, "login of \(email)")
  }

  @Test func listRevokeOneAndRevokeTheOthers() async throws {
    // A long cache time: only the in-process nudge can end a cached session at once.
    let server = Accounts.server { $0.sessionCacheMs = 600_000 }
    try await server.run { client in
      let phone = try await Self.session(client, agent: "Phone")
      let laptop = try await Self.session(client, agent: "Laptop")
      let tablet = try await Self.session(client, agent: "Tablet")
      let admin = try await client.session()
      _ = try await client.createUser(admin, email: "member@example.com")
      let member = try await Self.session(
        client, agent: "Member phone", email: "member@example.com", password: "member-password-1")

      // The phone refreshes: still one session, with the same id.
      let before = try await client.call(.get, "/api/v1/auth/sessions", as: .cookie(laptop))
      #expect(before.status == .ok)
      let listed = try #require(before.data?.array)
      #expect(listed.count == 4)
      #expect(listed.map { $0["current"]?.bool } == [false, false, true, false])
      let agents = listed.compactMap { $0["userAgent"]?.string }
      #expect(Set(agents) == ["Phone", "Laptop", "Tablet"], "the helper session sends no user agent")
      #expect(listed.allSatisfy { $0["createdAt"]?.int != nil && $0["ipAddress"]?.string != nil })
      let phoneId = try #require(listed.first { $0["userAgent"]?.string == "Phone" }?["id"]?.int)
      let refreshed = try await client.call(.post, "/api/v1/auth/refresh", as: .refresh(phone.refreshToken))
      let phoneNow = try #require(refreshed.session)
      let after = try #require(try await client.call(.get, "/api/v1/auth/sessions", as: .cookie(laptop)).data?.array)
      #expect(after.count == 4)
      #expect(after.first { $0["id"]?.int == phoneId } != nil, "the listed id survives a refresh")

      // The phone's token is cached as live; revoking it from the laptop ends it at once.
      #expect(try await client.call(.get, "/api/v1/profile", as: .cookie(phoneNow)).status == .ok)
      let revoked = try await client.call(.delete, "/api/v1/auth/sessions/\(phoneId)", as: .cookie(laptop))
      #expect(revoked.status == .ok)
      #expect(revoked.data?["revoked"]?.bool == true && revoked.data?["id"]?.int == phoneId)
      let refused = try await client.call(.get, "/api/v1/profile", as: .cookie(phoneNow))
      #expect(refused.status == .unauthorized && refused.code == "AUTH_INVALID_TOKEN")
      #expect(
        try await client.call(.post, "/api/v1/auth/refresh", as: .refresh(phoneNow.refreshToken)).status
          == .unauthorized)
      #expect(
        try await client.call(.delete, "/api/v1/auth/sessions/\(phoneId)", as: .cookie(laptop)).status
          == .notFound)

      // Another person's session is not found, whoever asks (admins too).
      let memberList = try #require(
        try await client.call(.get, "/api/v1/auth/sessions", as: .cookie(member)).data?.array)
      #expect(memberList.count == 1 && memberList[0]["current"]?.bool == true)
      let memberSession = try #require(memberList[0]["id"]?.int)
      let foreign = try await client.call(.delete, "/api/v1/auth/sessions/\(memberSession)", as: .cookie(laptop))
      #expect(foreign.status == .notFound && foreign.code == "NOT_FOUND")
      #expect(try await client.call(.get, "/api/v1/profile", as: .cookie(member)).status == .ok)
      let malformed = try await client.call(.delete, "/api/v1/auth/sessions/abc", as: .cookie(laptop))
      #expect(malformed.status == .badRequest && malformed.code == "VALIDATION_ERROR")

      // Everything but the current one: the tablet and the admin helper session end, the laptop stays.
      #expect(try await client.call(.get, "/api/v1/profile", as: .cookie(tablet)).status == .ok)
      let others = try await client.call(.delete, "/api/v1/auth/sessions", as: .cookie(laptop))
      #expect(others.status == .ok && others.data?["revoked"]?.int == 2)
      #expect(try await client.call(.get, "/api/v1/profile", as: .cookie(tablet)).status == .unauthorized)
      #expect(try await client.call(.get, "/api/v1/profile", as: .cookie(admin)).status == .unauthorized)
      #expect(try await client.call(.get, "/api/v1/profile", as: .cookie(laptop)).status == .ok)
      let remaining = try #require(
        try await client.call(.get, "/api/v1/auth/sessions", as: .cookie(laptop)).data?.array)
      #expect(remaining.count == 1 && remaining[0]["current"]?.bool == true)
      #expect(remaining[0]["userAgent"]?.string == "Laptop")
      // The member was not touched.
      #expect(try await client.call(.get, "/api/v1/profile", as: .cookie(member)).status == .ok)
    }
  }

  @Test func apiKeysHaveNoSessions() async throws {
    try await Accounts.server().run { client in
      let admin = try await client.session()
      let key = try await client.createKey(admin, scopes: ["*"])
      for (method, path) in [
        (HTTPRequest.Method.get, "/api/v1/auth/sessions"), (.delete, "/api/v1/auth/sessions"),
        (.delete, "/api/v1/auth/sessions/1"),
      ] {
        let reply = try await client.call(method, path, as: .bearer(key))
        #expect(reply.status == .forbidden, "\(method) \(path)")
      }
      #expect(try await client.call(.get, "/api/v1/auth/sessions").status == .unauthorized)
    }
  }
}
