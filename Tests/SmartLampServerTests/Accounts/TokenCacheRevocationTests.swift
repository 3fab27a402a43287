import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import ServerTestSupport
import SmartLampStore
import TestSupport
import Testing

@testable import SmartLampServer

/// Issue #10 remembers verified access tokens; issue #5's promise still holds for a token the server has already
/// verified: a revoked session, a disabled user, a changed role or assignment, and the token's own expiry all take
/// effect on the very next request. Each test uses the token twice first, so it is answered from the cache.
@Suite struct TokenCacheRevocationTests {
  static func bootstrap(_ client: any TestClientProtocol, _ session: Session) async throws -> Reply {
    try await client.call(.get, "/api/v1/bootstrap", as: .cookie(session))
  }

  static func warm(_ client: any TestClientProtocol, _ session: Session) async throws {
    for _ in 0..<2 { #expect(try await bootstrap(client, session).status == .ok) }
  }

  static func deviceIds(_ reply: Reply) -> [String] {
    reply.data?["devices"]?.array?.compactMap { $0["id"]?.string } ?? []
  }

  @Test func aCachedTokenStopsWorkingAtLogoutAndAtRevocation() async throws {
    try await Accounts.server().run { client in
      let admin = try await client.session()
      _ = try await client.createUser(admin, email: "m@example.com")
      let laptop = try await client.session("m@example.com", "member-password-1")
      let phone = try await client.session("m@example.com", "member-password-1")
      try await Self.warm(client, laptop)
      try await Self.warm(client, phone)

      let sessions = try #require(try await client.call(.get, "/api/v1/auth/sessions", as: .cookie(laptop)).data?.array)
      let phoneId = try #require(sessions.first { $0["current"]?.bool != true }?["id"]?.int)
      #expect(try await client.call(.delete, "/api/v1/auth/sessions/\(phoneId)", as: .cookie(laptop)).status == .ok)
      #expect(try await Self.bootstrap(client, phone).code == "AUTH_INVALID_TOKEN")
      #expect(
        try await client.call(.get, "/api/v1/bootstrap", as: .bearer(phone.accessToken)).code == "AUTH_INVALID_TOKEN")
      #expect(try await Self.bootstrap(client, laptop).status == .ok)

      #expect(try await client.call(.post, "/api/v1/auth/logout", as: .cookie(laptop)).status == .ok)
      #expect(try await Self.bootstrap(client, laptop).code == "AUTH_INVALID_TOKEN")
    }
  }

  @Test func aCachedTokenStopsWorkingWhenItsUserIsDisabled() async throws {
    try await Accounts.server().run { client in
      let admin = try await client.session()
      let id = try await client.createUser(admin, email: "m@example.com")
      let member = try await client.session("m@example.com", "member-password-1")
      try await Self.warm(client, member)
      let off = try await client.call(.patch, "/api/v1/users/\(id)", as: .cookie(admin), json: ["isActive": false])
      #expect(off.status == .ok)
      let refused = try await Self.bootstrap(client, member)
      #expect(refused.status == .unauthorized && refused.code == "AUTH_INVALID_TOKEN")
    }
  }

  @Test func roleAndAssignmentChangesShowOnTheNextRequest() async throws {
    let server = Accounts.server()
    try await server.seedDevices(["lamp-a", "lamp-b", "lamp-c"])
    try await server.run { client in
      let admin = try await client.session()
      let id = try await client.createUser(admin, email: "m@example.com")
      try await client.assign(admin, userId: id, [("lamp-a", "control", "none")])
      let member = try await client.session("m@example.com", "member-password-1")
      try await Self.warm(client, member)
      #expect(Self.deviceIds(try await Self.bootstrap(client, member)) == ["lamp-a"])

      try await client.assign(admin, userId: id, [("lamp-b", "monitoring", "none"), ("lamp-c", "control", "none")])
      #expect(Self.deviceIds(try await Self.bootstrap(client, member)) == ["lamp-b", "lamp-c"])

      #expect(
        try await client.call(.patch, "/api/v1/users/\(id)", as: .cookie(admin), json: ["role": "admin"]).status == .ok)
      let promoted = try await Self.bootstrap(client, member)
      #expect(promoted.data?["viewer"]?["role"]?.string == "admin")
      #expect(Self.deviceIds(promoted) == ["lamp-a", "lamp-b", "lamp-c"])

      #expect(
        try await client.call(.patch, "/api/v1/users/\(id)", as: .cookie(admin), json: ["role": "member"]).status == .ok
      )
      let demoted = try await Self.bootstrap(client, member)
      #expect(demoted.data?["viewer"]?["role"]?.string == "member")
      #expect(Self.deviceIds(demoted) == ["lamp-b", "lamp-c"])
    }
  }

  /// The token's expiry is read from the server's clock on every use, the cached ones included: the test moves a
  /// mock clock (started at the machine's time, so the login's real-time `exp` lies ahead) past it.
  @Test func aCachedTokenExpiresOnTheServersClock() async throws {
    let server = Accounts.server()
    let clock = MockClock()
    let serverClock = ServerClock(clock, startingAt: Timestamp.nowMillis())
    let app = try await buildApplication(
      configuration: server.configuration, dependencies: .withoutBroker(clock: serverClock), logger: Logger.quiet())
    try await app.test(.router) { client in
      let session = try await client.session()
      try await Self.warm(client, session)
      let ttl = server.configuration.accessTokenTTLSec
      clock.advance(by: .seconds(ttl - 10))
      #expect(try await Self.bootstrap(client, session).status == .ok)
      // `exp` is the login's whole second plus the time to live; a minute more is past it whenever the login ran.
      clock.advance(by: .seconds(70))
      let expired = try await Self.bootstrap(client, session)
      #expect(expired.status == .unauthorized && expired.code == "AUTH_EXPIRED_TOKEN")
      #expect(
        try await client.call(.get, "/api/v1/profile", as: .bearer(session.accessToken)).code == "AUTH_EXPIRED_TOKEN")
    }
  }

  @Test func forgeriesOfACachedTokenAreRefused() async throws {
    try await Accounts.server().run { client in
      let session = try await client.session()
      try await Self.warm(client, session)
      let token = session.accessToken
      let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
      // The genuine header and claims under another key, and the genuine signature over other claims.
      var claims = TokenForgery.claims(of: token)
      let otherKey = TokenForgery.make(
        header: ["alg": "HS256", "typ": "JWT"], claims: claims, secret: "another-secret")
      claims["sid"] = (claims["sid"] as? Int ?? 0) + 1
      let resigned = TokenForgery.make(header: ["alg": "HS256", "typ": "JWT"], claims: claims, secret: "x")
      let otherClaims = resigned.split(separator: ".").map(String.init)[1]
      let forgeries = [
        otherKey, parts[0] + "." + otherClaims + "." + parts[2], parts[0] + "." + parts[1] + ".", token + "x",
        String(token.dropLast()), parts[0] + "." + parts[1],
      ]
      for forged in forgeries {
        let reply = try await Self.bootstrap(client, Session(accessToken: forged, refreshToken: ""))
        #expect(reply.status == .unauthorized && reply.code == "AUTH_INVALID_TOKEN", "\(forged)")
      }
      #expect(try await Self.bootstrap(client, session).status == .ok)
    }
  }

  /// The cookie is found among others, and a cookie whose name merely ends in `auth_token` is not it.
  @Test func theCookieIsFoundAmongOthersAndNotByASuffix() async throws {
    try await Accounts.server().run { client in
      let session = try await client.session()
      let token = session.accessToken
      let among = try await client.call(
        .get, "/api/v1/bootstrap", headers: [.cookie: "theme=dark; xauth_token=nonsense;  auth_token=\(token) ; a=b"])
      #expect(among.status == .ok)
      let suffix = try await client.call(.get, "/api/v1/bootstrap", headers: [.cookie: "xauth_token=\(token)"])
      #expect(suffix.status == .unauthorized && suffix.code == "NOT_AUTHENTICATED")
      let quoted = try await client.call(.get, "/api/v1/bootstrap", headers: [.cookie: "auth_token=\"\(token)\""])
      #expect(quoted.code == "AUTH_INVALID_TOKEN")
      let empty = try await client.call(
        .get, "/api/v1/bootstrap", headers: [.cookie: "auth_token=; auth_token=\(token)"])
      #expect(empty.code == "NOT_AUTHENTICATED")
    }
  }
}
