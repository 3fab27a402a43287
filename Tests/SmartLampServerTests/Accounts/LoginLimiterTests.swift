import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SmartLampStore
import TestSupport
import Testing

@testable import SmartLampServer

/// The login limiter (UPSTREAM §7.4, rbac-routes.test.ts 9, §18 "9 invalid logins") and client IP trust
/// (UPSTREAM §20.7).
@Suite struct LoginLimiterTests {
  @Test func ninthWrongPasswordWithinAMinuteIsLimitedAndTheBackoffGrows() async throws {
    try await Accounts.server().run { client in
      for attempt in 1...8 {
        let reply = try await client.login(Accounts.adminEmail, "wrong-password")
        #expect(reply.status == .unauthorized, "attempt \(attempt)")
        #expect(reply.code == "AUTH_INVALID_CREDENTIALS")
        #expect(reply.headers[.init("X-RateLimit-Remaining")!] == String(8 - attempt))
      }
      let ninth = try await client.login(Accounts.adminEmail, "wrong-password")
      #expect(ninth.status == .tooManyRequests && ninth.code == "RATE_LIMITED")
      #expect(ninth.headers[.retryAfter] == "30")
      #expect(ninth.envelope?.error?.details?["retryAfterSec"]?.int == 30)
      let tenth = try await client.login(Accounts.adminEmail, Accounts.adminPassword)
      #expect(tenth.status == .tooManyRequests)  // blocked even with the right password
      #expect(tenth.headers[.retryAfter] == "60")
    }
  }

  @Test func upstreamBackoffSequenceAndResetAfterExpiry() async throws {
    let server = Accounts.server {
      $0.loginRateLimitMax = 2
      $0.loginRateLimitWindowSec = 60
      $0.loginBackoffBaseSec = 5
      $0.loginBackoffFactor = 3
      $0.loginBackoffMaxSec = 60
    }
    try await server.run { client in
      #expect(try await client.login(Accounts.adminEmail, "wrong-password").status == .unauthorized)
      #expect(try await client.login(Accounts.adminEmail, "wrong-password").status == .unauthorized)
      let third = try await client.login(Accounts.adminEmail, "wrong-password")
      #expect(third.status == .tooManyRequests && third.headers[.retryAfter] == "5")
      let fourth = try await client.login(Accounts.adminEmail, "wrong-password")
      #expect(fourth.status == .tooManyRequests && fourth.headers[.retryAfter] == "15")
      try await server.execute("UPDATE rate_limit_hits SET reset_at = 1")
      let ok = try await client.login(Accounts.adminEmail, Accounts.adminPassword)
      #expect(ok.status == .ok)
      #expect(try await server.scalar("SELECT COUNT(*) FROM rate_limit_hits") == .int64(0))
    }
  }

  @Test func accountLimiterHoldsAcrossAddresses() async throws {
    // Behind a trusted proxy each attempt may come from another address; the per-account row still counts.
    try await Accounts.server({
      $0.trustedProxies = ["127.0.0.1"]; $0.loginRateLimitMax = 3
    }).run { client in
      for index in 1...3 {
        let reply = try await client.login(
          Accounts.adminEmail, "wrong-password", headers: [.xForwardedFor: "203.0.113.\(index)"])
        #expect(reply.status == .unauthorized)
      }
      let blocked = try await client.login(
        Accounts.adminEmail, Accounts.adminPassword, headers: [.xForwardedFor: "203.0.113.99"])
      #expect(blocked.status == .tooManyRequests)
    }
  }

  @Test func forwardedForIsIgnoredFromAnUntrustedPeer() async throws {
    try await Accounts.server({ $0.loginRateLimitMax = 3 }).run { client in
      // Different unknown emails each time: only the per-IP limiter can stop this, and rotating the header must
      // not help.
      for index in 1...3 {
        let reply = try await client.login(
          "nobody\(index)@example.com", "wrong-password", headers: [.xForwardedFor: "198.51.100.\(index)"])
        #expect(reply.status == .unauthorized)
      }
      let fourth = try await client.login(
        "nobody4@example.com", "wrong-password", headers: [.xForwardedFor: "198.51.100.4"])
      #expect(fourth.status == .tooManyRequests)
    }
  }

  @Test func forwardedForIsHonouredFromATrustedProxy() async throws {
    let server = Accounts.server {
      $0.trustedProxies = ["127.0.0.1"]; $0.loginRateLimitMax = 3
    }
    // Live: a proxy is trusted by the connection's peer address, which only a socket has.
    try await server.run(.live) { client in
      for index in 1...6 {
        let reply = try await client.login(
          "nobody\(index)@example.com", "wrong-password", headers: [.xForwardedFor: "198.51.100.\(index)"])
        #expect(reply.status == .unauthorized, "attempt \(index)")
      }
      let keys = try await server.withDatabase { db in
        try await db.read { conn in
          try conn.query("SELECT rate_key FROM rate_limit_hits WHERE rate_key LIKE 'auth_login:%'").map {
            try $0.string("rate_key")
          }
        }
      }
      #expect(Set(keys) == Set((1...6).map { "auth_login:198.51.100.\($0)" }))
    }
  }

  @Test func unknownInactiveAndWrongPasswordAllLookTheSame() async throws {
    try await Accounts.server().run { client in
      let admin = try await client.session()
      let id = try await client.createUser(admin, email: "off@example.com")
      _ = try await client.call(.patch, "/api/v1/users/\(id)", as: .cookie(admin), json: ["isActive": false])
      let replies = [
        try await client.login("unknown@example.com", "whatever-password"),
        try await client.login(Accounts.adminEmail, "wrong-password"),
        try await client.login("off@example.com", "member-password-1"),  // rbac-routes 11: inactive user
      ]
      for reply in replies {
        #expect(reply.status == .unauthorized)
        #expect(reply.code == "AUTH_INVALID_CREDENTIALS")
        #expect(reply.envelope?.error?.message == "Invalid email or password")
      }
      // Validation problems are 400 and do not count as attempts.
      let invalid = try await client.login("not-an-email", "short")
      #expect(invalid.status == .badRequest && invalid.code == "VALIDATION_ERROR")
    }
  }

  @Test func expiredRowsArePurged() async throws {
    let server = Accounts.server()
    try await server.run { client in
      _ = try await client.login(Accounts.adminEmail, "wrong-password")
      try await server.execute("UPDATE rate_limit_hits SET reset_at = 1")
    }
    // The purge job runs at start, before anything else touches the table.
    try await server.run { _ in
      try await poll("limiter rows purged") {
        try await server.scalar("SELECT COUNT(*) FROM rate_limit_hits") == .int64(0)
      }
    }
  }

  @Test func aConcurrentBurstGetsExactlyLimitPasswordChecks() async throws {
    try await Accounts.server().run { client in
      let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
        for _ in 0..<20 {
          group.addTask { try await client.login(Accounts.adminEmail, "wrong-password").status }
        }
        return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
      }
      #expect(statuses.filter { $0 == .unauthorized }.count == 8)
      #expect(statuses.filter { $0 == .tooManyRequests }.count == 12)
    }
  }
}
