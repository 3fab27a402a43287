import Foundation
import HTTPTypes
import HummingbirdTesting
import SmartLampStore
import TestSupport
import Testing

@testable import SmartLampServer

/// The first run (`GET|POST /api/v1/setup`): the first administrator needs the one-time setup code, is signed in,
/// and the code works once; wrong codes count like failed logins; the environment's first admin still works.
@Suite struct FirstRunSetupTests {
  static let person: [String: JSONValue] = [
    "name": "Ibu Sari", "email": "sari@example.com", "password": "rahasia-sekali-1",
  ]

  static func body(code: String?) -> JSONValue {
    var body = person
    if let code { body["setupCode"] = .string(code) }
    return .object(body)
  }

  /// A server with no first admin (no `SMARTLAMP_ADMIN_*`).
  static func server(_ adjust: @escaping (inout Configuration) -> Void = { _ in }) -> TestServer {
    TestServer {
      $0.jwtSecret = Accounts.jwtSecret
      adjust(&$0)
    }
  }

  static func users(_ server: TestServer) async throws -> SQLValue? {
    try await server.scalar("SELECT COUNT(*) FROM users")
  }

  @Test func theFirstAdminNeedsTheCodeIsSignedInAndTheCodeWorksOnce() async throws {
    let server = Self.server()
    try await server.run { client in
      let state = try await client.call(.get, "/api/v1/setup")
      #expect(state.status == .ok)
      #expect(state.data?["needsSetup"]?.bool == true)
      #expect(state.data?["demo"]?.bool == false)
      #expect(state.data?["demoDevices"]?.array == [])
      // The server made a code at start and stored only its SHA-256.
      let started = try await server.withDatabase { try await SetupRepository(database: $0).codeDigest() }
      #expect(started?.count == 64)
      // A fresh code the way `smartlamp setup-code` makes one: the start-up code stops working.
      let code = try #require(try await server.withDatabase { try await FirstRunSetup.issueCode(database: $0) })
      #expect(code.wholeMatch(of: /[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}/) != nil, "\(code)")
      #expect(try await server.withDatabase { try await SetupRepository(database: $0).codeDigest() } != started)

      let missing = try await client.call(.post, "/api/v1/setup", json: Self.body(code: nil))
      #expect(missing.status == .forbidden && missing.code == "SETUP_CODE_INVALID")
      let wrong = try await client.call(.post, "/api/v1/setup", json: Self.body(code: "AAAA-BBBB-CCCC"))
      #expect(wrong.status == .forbidden && wrong.code == "SETUP_CODE_INVALID")
      #expect(wrong.headers[.init("X-RateLimit-Remaining")!] != nil)
      #expect(wrong.session == nil)
      #expect(try await Self.users(server) == .int64(0))

      var invalid = Self.person
      invalid["email"] = "not-an-email"
      invalid["password"] = "short"
      invalid["setupCode"] = .string(code)
      let rejected = try await client.call(.post, "/api/v1/setup", json: .object(invalid))
      #expect(rejected.status == .badRequest && rejected.code == "VALIDATION_ERROR")
      let fields = rejected.envelope?.error?.details?["fieldErrors"]
      #expect(fields?["email"] != nil && fields?["password"] != nil && fields?["setupCode"] == nil)
      #expect(try await Self.users(server) == .int64(0))

      // Typed back in lower case without dashes: the same code.
      let typed = code.lowercased().replacingOccurrences(of: "-", with: "")
      let created = try await client.call(.post, "/api/v1/setup", json: Self.body(code: typed))
      #expect(created.status == .created, "\(String(decoding: created.raw, as: UTF8.self))")
      #expect(created.data?["user"]?["role"]?.string == "admin")
      #expect(created.data?["user"]?["email"]?.string == "sari@example.com")
      let session = try #require(created.session, "the admin is signed in")
      let profile = try await client.call(.get, "/api/v1/profile", as: .cookie(session))
      #expect(profile.status == .ok && profile.data?["email"]?.string == "sari@example.com")
      let users = try await client.call(.get, "/api/v1/users", as: .cookie(session))
      #expect(users.status == .ok, "the new person is an administrator")

      let again = try await client.call(.post, "/api/v1/setup", json: Self.body(code: code))
      #expect(again.status == .conflict && again.code == "SETUP_ALREADY_DONE")
      #expect(try await client.call(.get, "/api/v1/setup").data?["needsSetup"]?.bool == false)
      #expect(try await Self.users(server) == .int64(1))
      #expect(try await server.withDatabase { try await FirstRunSetup.issueCode(database: $0) } == nil)
      #expect(try await server.withDatabase { try await SetupRepository(database: $0).codeDigest() } == nil)
    }
  }

  @Test func wrongCodesAreLimitedLikeFailedLogins() async throws {
    let server = Self.server {
      $0.loginRateLimitMax = 3
      $0.loginBackoffBaseSec = 40
    }
    try await server.run { client in
      let code = try #require(try await server.withDatabase { try await FirstRunSetup.issueCode(database: $0) })
      for attempt in 1...3 {
        let reply = try await client.call(.post, "/api/v1/setup", json: Self.body(code: "WRNG-CODE-\(attempt)AAA"))
        #expect(reply.status == .forbidden, "attempt \(attempt)")
      }
      // Hammered: even the right code waits now, and so does a login from the same address.
      let blocked = try await client.call(.post, "/api/v1/setup", json: Self.body(code: code))
      #expect(blocked.status == .tooManyRequests && blocked.code == "RATE_LIMITED")
      #expect(blocked.headers[.retryAfter] == "40")
      #expect(try await client.login("sari@example.com", "rahasia-sekali-1").status == .tooManyRequests)
      #expect(try await Self.users(server) == .int64(0))
      try await server.execute("UPDATE rate_limit_hits SET reset_at = 1")
      let created = try await client.call(.post, "/api/v1/setup", json: Self.body(code: code))
      #expect(created.status == .created)
      // A success starts the count over.
      #expect(try await server.scalar("SELECT COUNT(*) FROM rate_limit_hits") == .int64(0))
    }
  }

  @Test func theEnvironmentsFirstAdminNeedsNoCode() async throws {
    let server = Accounts.server()
    try await server.run { client in
      #expect(try await client.call(.get, "/api/v1/setup").data?["needsSetup"]?.bool == false)
      #expect(try await server.withDatabase { try await SetupRepository(database: $0).codeDigest() } == nil)
      let refused = try await client.call(.post, "/api/v1/setup", json: Self.body(code: "AAAA-BBBB-CCCC"))
      #expect(refused.status == .conflict && refused.code == "SETUP_ALREADY_DONE")
      #expect(try await client.login(Accounts.adminEmail, Accounts.adminPassword).status == .ok)
    }
  }

  @Test func aCodeLeftOverFromBeforeTheFirstAdminIsRemovedAtStart() async throws {
    let server = Accounts.server()
    _ = try await server.withDatabase { try await FirstRunSetup.issueCode(database: $0) }
    #expect(try await server.withDatabase { try await SetupRepository(database: $0).codeDigest() } != nil)
    try await server.run { client in
      let digest = try await server.withDatabase { try await SetupRepository(database: $0).codeDigest() }
      #expect(digest == nil)
      let state = try await client.call(.get, "/api/v1/setup")
      #expect(state.data?["needsSetup"]?.bool == false)
    }
  }

  @Test func demoModeNamesTheSimulatedLamps() async throws {
    let server = Self.server {
      $0.demo = true
      $0.demoDevices = 3
      $0.mqttURL = "mqtt://127.0.0.1:\(freePort())"
    }
    try await server.run { client in
      let state = try await client.call(.get, "/api/v1/setup")
      #expect(state.data?["demo"]?.bool == true)
      #expect(state.data?["demoDevices"]?.array == ["demo_000001", "demo_000002", "demo_000003"])
    }
  }

  @Test func codesAreWellFormedAndDistinct() {
    let codes = (0..<200).map { _ in SetupCode.generate() }
    #expect(Set(codes).count == codes.count)
    for code in codes {
      #expect(code.wholeMatch(of: /[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}/) != nil, "\(code)")
      #expect(SetupCode.matches(code.lowercased(), storedDigest: SetupCode.digest(code)))
      #expect(
        SetupCode.matches(" " + code.replacingOccurrences(of: "-", with: " "), storedDigest: SetupCode.digest(code)))
    }
    let digest = SetupCode.digest(codes[0])
    #expect(!SetupCode.matches(codes[1], storedDigest: digest))
    #expect(!SetupCode.matches(String(codes[0].dropLast()), storedDigest: digest))
    #expect(!SetupCode.matches(codes[0] + "A", storedDigest: digest))
    #expect(!SetupCode.matches("0000-1111-OOOO", storedDigest: SetupCode.digest("0000-1111-OOOO")))
  }
}
