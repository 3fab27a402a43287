import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import SmartLampServer

/// CSRF (CONTRACT §3): cookie-authenticated changes from a foreign origin, or not sent as JSON, are refused.
@Suite struct CSRFTests {
  @Test func crossOriginCookiePostIsRefused() async throws {
    try await Accounts.server({ $0.allowedOrigins = ["http://dashboard.test:5173"] }).run { client in
      let admin = try await client.session()
      let body: JSONValue = ["name": "Boss"]
      let foreign = try await client.call(
        .patch, "/api/v1/profile", as: .cookie(admin), json: body, headers: [.origin: "https://evil.example"])
      #expect(foreign.status == .forbidden && foreign.code == "FORBIDDEN_ORIGIN")
      let nullOrigin = try await client.call(
        .patch, "/api/v1/profile", as: .cookie(admin), json: body, headers: [.origin: "null"])
      #expect(nullOrigin.code == "FORBIDDEN_ORIGIN")
      let crossSite = try await client.call(
        .patch, "/api/v1/profile", as: .cookie(admin), json: body, headers: [.init("Sec-Fetch-Site")!: "cross-site"])
      #expect(crossSite.code == "FORBIDDEN_ORIGIN")
      let form = try await client.call(
        .patch, "/api/v1/profile", as: .cookie(admin), json: body, headers: [.contentType: "text/plain"])
      #expect(form.code == "FORBIDDEN_ORIGIN")
      let allowed = try await client.call(
        .patch, "/api/v1/profile", as: .cookie(admin), json: body, headers: [.origin: "http://dashboard.test:5173"])
      #expect(allowed.status == .ok)
      // The live test client sends `Host: localhost`, so this is the server's own origin.
      let same = try await client.call(
        .patch, "/api/v1/profile", as: .cookie(admin), json: body, headers: [.origin: "http://localhost"])
      #expect(same.status == .ok)
      let noOrigin = try await client.call(.patch, "/api/v1/profile", as: .cookie(admin), json: body)
      #expect(noOrigin.status == .ok)
      // Bearer tokens are not sent by browsers on their own: no CSRF rule applies.
      let bearer = try await client.call(
        .patch, "/api/v1/profile", as: .bearer(admin.accessToken), json: body,
        headers: [.origin: "https://evil.example"])
      #expect(bearer.status == .ok)
      // A body-less DELETE from the dashboard passes; a form-encoded body does not.
      let id = try await client.createUser(admin, email: "m@example.com")
      #expect(try await client.call(.delete, "/api/v1/users/\(id)", as: .cookie(admin)).status == .ok)
      let formPost = try await client.call(
        .post, "/api/v1/users/\(id)/restore", as: .cookie(admin), json: ["a": 1],
        headers: [.contentType: "application/x-www-form-urlencoded"])
      #expect(formPost.code == "FORBIDDEN_ORIGIN")
      // Reads are not refused.
      let read = try await client.call(
        .get, "/api/v1/profile", as: .cookie(admin), headers: [.origin: "https://evil.example"])
      #expect(read.status == .ok)
      // A foreign page cannot log the user out or rotate their refresh token either.
      let logout = try await client.call(
        .post, "/api/v1/auth/logout", as: .refresh(admin.refreshToken), headers: [.origin: "https://evil.example"])
      #expect(logout.code == "FORBIDDEN_ORIGIN")
      let refresh = try await client.call(
        .post, "/api/v1/auth/refresh", as: .refresh(admin.refreshToken), headers: [.origin: "https://evil.example"])
      #expect(refresh.code == "FORBIDDEN_ORIGIN")
      #expect(try await client.call(.get, "/api/v1/profile", as: .cookie(admin)).status == .ok)
    }
  }
}
