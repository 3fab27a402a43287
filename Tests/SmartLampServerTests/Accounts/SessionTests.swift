import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ServerTestSupport
import SmartLampStore
import Testing

@testable import SmartLampServer

/// Login sessions (CONTRACT §3, UPSTREAM §4.2–4.5, session.test.ts, §18 refresh checks) through the real
/// server on a real SQLite file.
@Suite struct SessionTests {
  @Test func loginSetsHardenedCookiesAndAnswersTheUser() async throws {
    try await Accounts.server().run { client in
      let reply = try await client.login(Accounts.adminEmail, Accounts.adminPassword)
      #expect(reply.status == .ok)
      #expect(reply.data?["user"]?["email"]?.string == Accounts.adminEmail)
      #expect(reply.data?["user"]?["role"]?.string == "admin")
      #expect(reply.data?["user"]?["name"]?.string == "admin")
      let setCookies = reply.headers[values: .setCookie]
      let access = try #require(setCookies.first { $0.hasPrefix("auth_token=") })
      let refresh = try #require(setCookies.first { $0.hasPrefix("refresh_token=") })
      for cookie in [access, refresh] {
        #expect(cookie.contains("HttpOnly"))
        #expect(cookie.contains("SameSite=Lax"))
        #expect(!cookie.contains("Secure"))  // plain HTTP, cookieSecure = auto
      }
      #expect(access.contains("Path=/;") && access.contains("Max-Age=900"))
      #expect(refresh.contains("Path=/api/v1/auth;") && refresh.contains("Max-Age=2592000"))
      // session.test.ts 1: the opaque refresh token is 48 random bytes as 96 lowercase hex characters.
      let token = try #require(reply.session?.refreshToken)
      #expect(token.count == 96 && token.allSatisfy { "0123456789abcdef".contains($0) })
      #expect(reply.headers[.init("X-RateLimit-Limit")!] == "8")
    }
  }

  @Test func secureCookiesWhenConfiguredOrBehindATrustedHTTPSProxy() async throws {
    try await Accounts.server { $0.cookieSecure = .always }.run { client in
      let reply = try await client.login(Accounts.adminEmail, Accounts.adminPassword)
      #expect(reply.headers[values: .setCookie].allSatisfy { $0.contains("; Secure") })
    }
    // Live: a proxy is trusted by the connection's peer address, which only a socket has.
    try await Accounts.server { $0.trustedProxies = ["127.0.0.1"] }.run(.live) { client in
      let reply = try await client.login(
        Accounts.adminEmail, Accounts.adminPassword, headers: [.xForwardedProto: "https"])
      #expect(reply.headers[values: .setCookie].allSatisfy { $0.contains("; Secure") })
    }
  }

  @Test func accessTokenClaimsAreWholeSecondsWithSessionId() async throws {
    try await Accounts.server().run { client in
      let session = try await client.session()
      let header = TokenForgery.header(of: session.accessToken)
      #expect(header["alg"] as? String == "HS256")
      let claims = TokenForgery.claims(of: session.accessToken)
      #expect(claims["sub"] as? String == "1")
      #expect(claims["email"] as? String == Accounts.adminEmail)
      #expect(claims["type"] as? String == "user")
      #expect(claims["sid"] is NSNumber)
      let iat = try #require(claims["iat"] as? NSNumber)
      let exp = try #require(claims["exp"] as? NSNumber)
      #expect(iat.doubleValue == iat.doubleValue.rounded())
      #expect(exp.int64Value - iat.int64Value == 900)
      // The cookie and the bearer header both work.
      #expect(try await client.call(.get, "/api/v1/profile", as: .cookie(session)).status == .ok)
      #expect(try await client.call(.get, "/api/v1/profile", as: .bearer(session.accessToken)).status == .ok)
    }
  }

  @Test func forgedAndBrokenTokensAreRefused() async throws {
    try await Accounts.server().run { client in
      let session = try await client.session()
      let claims = TokenForgery.claims(of: session.accessToken)
      let now = Int(Date().timeIntervalSince1970)
      var expired = claims
      expired["iat"] = 0
      expired["exp"] = 60  // authz.test.ts 1: `exp` in 1970
      let cases: [(String, String, String)] = [
        (
          "alg none", TokenForgery.make(header: ["alg": "none", "typ": "JWT"], claims: claims, secret: nil),
          "AUTH_INVALID_TOKEN"
        ),
        (
          "alg none signed", TokenForgery.make(header: ["alg": "none"], claims: claims, secret: Accounts.jwtSecret),
          "AUTH_INVALID_TOKEN"
        ),
        (
          "RS256 header, HMAC signature",
          TokenForgery.make(header: ["alg": "RS256", "typ": "JWT"], claims: claims, secret: Accounts.jwtSecret),
          "AUTH_INVALID_TOKEN"
        ),
        (
          "HS512 header",
          TokenForgery.make(header: ["alg": "HS512", "typ": "JWT"], claims: claims, secret: Accounts.jwtSecret),
          "AUTH_INVALID_TOKEN"
        ),
        (
          "wrong secret",
          TokenForgery.make(header: ["alg": "HS256", "typ": "JWT"], claims: claims, secret: "other-secret"),
          "AUTH_INVALID_TOKEN"
        ),
        (
          "tampered signature",
          String(session.accessToken.dropLast(2)) + (session.accessToken.hasSuffix("AA") ? "BB" : "AA"),
          "AUTH_INVALID_TOKEN"
        ),
        (
          "expired",
          TokenForgery.make(header: ["alg": "HS256", "typ": "JWT"], claims: expired, secret: Accounts.jwtSecret),
          "AUTH_EXPIRED_TOKEN"
        ),
        (
          "type api",
          TokenForgery.make(
            header: ["alg": "HS256"], claims: claims.merging(["type": "api"]) { $1 }, secret: Accounts.jwtSecret),
          "AUTH_INVALID_TOKEN"
        ),
        (
          "unknown session",
          TokenForgery.make(
            header: ["alg": "HS256"], claims: claims.merging(["sid": 9999, "exp": now + 60]) { $1 },
            secret: Accounts.jwtSecret), "AUTH_INVALID_TOKEN"
        ),
        ("garbage", "not.a.jwt", "AUTH_INVALID_TOKEN"),
      ]
      for (name, token, code) in cases {
        let viaCookie = try await client.call(
          .get, "/api/v1/profile", as: .cookie(Session(accessToken: token, refreshToken: "")))
        #expect(viaCookie.status == .unauthorized, "\(name)")
        #expect(viaCookie.code == code, "\(name)")
        let viaBearer = try await client.call(.get, "/api/v1/profile", as: .bearer(token))
        #expect(viaBearer.code == code, "\(name) (bearer)")
      }
      // A correctly signed token with our own claims still works (the cases above fail for their reason only).
      let resigned = TokenForgery.make(
        header: ["alg": "HS256", "typ": "JWT"], claims: claims, secret: Accounts.jwtSecret)
      #expect(try await client.call(.get, "/api/v1/profile", as: .bearer(resigned)).status == .ok)
      let none = try await client.call(.get, "/api/v1/profile")
      #expect(none.status == .unauthorized && none.code == "NOT_AUTHENTICATED")
    }
  }

  @Test func refreshRotatesAndReuseRevokesTheWholeFamily() async throws {
    try await Accounts.server().run { client in
      let first = try await client.session()
      let refreshed = try await client.call(.post, "/api/v1/auth/refresh", as: .refresh(first.refreshToken))
      #expect(refreshed.status == .ok)
      #expect(refreshed.data?["refreshed"]?.bool == true)
      #expect(refreshed.data?["user"]?["email"]?.string == Accounts.adminEmail)
      let second = try #require(refreshed.session)
      #expect(second.refreshToken != first.refreshToken)
      // Rotation keeps the family alive: the previous access token still works, and so does the new one.
      #expect(try await client.call(.get, "/api/v1/profile", as: .cookie(first)).status == .ok)
      #expect(try await client.call(.get, "/api/v1/profile", as: .cookie(second)).status == .ok)

      // Reusing the rotated token: refused, cookies cleared, and the whole family is revoked.
      let reuse = try await client.call(.post, "/api/v1/auth/refresh", as: .refresh(first.refreshToken))
      #expect(reuse.status == .unauthorized && reuse.code == "AUTH_INVALID_TOKEN")
      #expect(reuse.envelope?.error?.message == "Refresh token has been revoked")
      #expect(reuse.cookies["auth_token"] == "" && reuse.cookies["refresh_token"] == "")
      let newer = try await client.call(.post, "/api/v1/auth/refresh", as: .refresh(second.refreshToken))
      #expect(newer.status == .unauthorized)
      #expect(try await client.call(.get, "/api/v1/profile", as: .cookie(second)).code == "AUTH_INVALID_TOKEN")

      // A separate login is a separate family and is unaffected.
      let other = try await client.session()
      #expect(try await client.call(.get, "/api/v1/profile", as: .cookie(other)).status == .ok)

      let missing = try await client.call(.post, "/api/v1/auth/refresh")
      #expect(missing.code == "AUTH_INVALID_TOKEN" && missing.envelope?.error?.message == "Refresh token is required")
      let unknown = try await client.call(
        .post, "/api/v1/auth/refresh", as: .refresh(String(repeating: "a", count: 96)))
      #expect(unknown.envelope?.error?.message == "Invalid refresh token")
    }
  }

  @Test func expiredRefreshTokenAnswersExpired() async throws {
    let server = Accounts.server()
    try await server.run { client in
      let session = try await client.session()
      try await server.execute("UPDATE auth_sessions SET expires_at = 1")
      let reply = try await client.call(.post, "/api/v1/auth/refresh", as: .refresh(session.refreshToken))
      #expect(reply.status == .unauthorized && reply.code == "AUTH_EXPIRED_TOKEN")
      // The family's newest token expired, so its access tokens end as well.
      #expect(try await client.call(.get, "/api/v1/profile", as: .cookie(session)).status == .unauthorized)
    }
  }

  @Test func logoutEndsTheSessionAtOnce() async throws {
    try await Accounts.server().run { client in
      let session = try await client.session()
      let out = try await client.call(.post, "/api/v1/auth/logout", as: .cookie(session))
      #expect(out.status == .ok && out.data?["loggedOut"]?.bool == true)
      #expect(out.cookies["auth_token"] == "")
      #expect(
        try await client.call(.post, "/api/v1/auth/refresh", as: .refresh(session.refreshToken)).status
          == .unauthorized)
      // Unlike upstream, the access token stops working at once too.
      #expect(
        try await client.call(.get, "/api/v1/profile", as: .bearer(session.accessToken)).code
          == "AUTH_INVALID_TOKEN")
      // Logging out without anything still answers 200.
      #expect(try await client.call(.post, "/api/v1/auth/logout").status == .ok)
    }
  }

  @Test func passwordChangeEndsTheOtherSessions() async throws {
    try await Accounts.server().run { client in
      let mine = try await client.session()
      let other = try await client.session()
      let change = try await client.call(
        .patch, "/api/v1/profile", as: .cookie(mine),
        json: ["currentPassword": .string(Accounts.adminPassword), "newPassword": "a-new-password-2"])
      #expect(change.status == .ok)
      #expect(try await client.call(.get, "/api/v1/profile", as: .cookie(mine)).status == .ok)
      #expect(try await client.call(.get, "/api/v1/profile", as: .cookie(other)).code == "AUTH_INVALID_TOKEN")
      #expect(
        try await client.call(.post, "/api/v1/auth/refresh", as: .refresh(other.refreshToken)).status
          == .unauthorized)
      #expect(try await client.login(Accounts.adminEmail, Accounts.adminPassword).status == .unauthorized)
      #expect(try await client.login(Accounts.adminEmail, "a-new-password-2").status == .ok)
    }
  }

  @Test func jwtSecretIsGeneratedOnceWithPrivatePermissions() async throws {
    let server = TestServer {
      $0.adminEmail = Accounts.adminEmail; $0.adminPassword = Accounts.adminPassword
    }
    let token = try await server.run { client in try await client.session().accessToken }
    let path = server.configuration.dataDirectory + "/jwt-secret"
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    let secret = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(secret.count == 96)
    // A restart reuses the file: the token issued before is still valid.
    let status = try await server.run { client in
      try await client.call(.get, "/api/v1/profile", as: .bearer(token)).status
    }
    #expect(status == .ok)
    #expect(try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == secret)
  }

  @Test func shortConfiguredSecretsStillSignAndVerify() async throws {
    try await Accounts.server({ $0.jwtSecret = "short" }).run { client in
      let session = try await client.session()
      #expect(try await client.call(.get, "/api/v1/profile", as: .cookie(session)).status == .ok)
      let raw = TokenForgery.make(
        header: ["alg": "HS256"], claims: TokenForgery.claims(of: session.accessToken), secret: "short")
      #expect(try await client.call(.get, "/api/v1/profile", as: .bearer(raw)).status == .unauthorized)
    }
  }
}
