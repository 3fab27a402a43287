import Foundation
import HummingbirdTesting
import SmartLampStore
import Synchronization
import TestSupport
import Testing

@testable import SmartLampServer

@Suite struct SessionCacheTests {
  final class Reads: Sendable {
    let count = Atomic(0)
    func read(_ value: String?) -> String? {
      count.add(1, ordering: .relaxed)
      return value
    }
    var total: Int { count.load(ordering: .relaxed) }
  }

  @Test func readsOnceUntilAnAccessChange() async {
    let changes = AccessChanges()
    let cache = SessionCache<String>(ttl: .seconds(60), changes: changes)
    let reads = Reads()
    for _ in 0..<5 { #expect(await cache.liveUser(sessionId: 1, userId: 7) { reads.read("alice") } == "alice") }
    #expect(reads.total == 1)
    // Another session, or the same session id under another user, is its own entry.
    #expect(await cache.liveUser(sessionId: 2, userId: 7) { reads.read("alice") } == "alice")
    #expect(await cache.liveUser(sessionId: 1, userId: 8) { reads.read(nil) } == nil)
    #expect(reads.total == 3)
    changes.changed()
    #expect(await cache.liveUser(sessionId: 1, userId: 7) { reads.read(nil) } == nil)
    #expect(reads.total == 4)
    // A session found dead is not remembered: the next request reads again.
    #expect(await cache.liveUser(sessionId: 1, userId: 7) { reads.read("alice") } == "alice")
    #expect(reads.total == 5)
  }

  @Test func zeroTimeReadsEveryTime() async {
    let cache = SessionCache<String>(ttl: .zero, changes: AccessChanges())
    let reads = Reads()
    for _ in 0..<3 { _ = await cache.liveUser(sessionId: 1, userId: 1) { reads.read("a") } }
    #expect(reads.total == 3)
  }

  @Test func anEntryExpires() async throws {
    let cache = SessionCache<String>(ttl: .milliseconds(30), changes: AccessChanges())
    let reads = Reads()
    _ = await cache.liveUser(sessionId: 1, userId: 1) { reads.read("a") }
    try await poll("the entry is read again after its time") {
      _ = await cache.liveUser(sessionId: 1, userId: 1) { reads.read("a") }
      return reads.total > 1
    }
  }

  /// Another server instance or the CLI ends the session straight in the database (no in-process nudge): the
  /// token stops working once the cache time has passed.
  @Test func aSessionEndedElsewhereStopsWorkingWithinTheCacheTime() async throws {
    let server = Accounts.server { $0.sessionCacheMs = 300 }
    try await server.run { client in
      let session = try await client.session()
      #expect(try await client.call(.get, "/api/v1/profile", as: .bearer(session.accessToken)).status == .ok)
      try await server.execute(
        "UPDATE auth_sessions SET revoked_at = ?, revoked_reason = 'logout'", [.int64(Timestamp.nowMillis())])
      try await poll("the session ended elsewhere is refused") {
        try await client.call(.get, "/api/v1/profile", as: .bearer(session.accessToken)).code
          == "AUTH_INVALID_TOKEN"
      }
    }
  }

  @Test func withTheCacheOffTheNextRequestSeesIt() async throws {
    let server = Accounts.server { $0.sessionCacheMs = 0 }
    try await server.run { client in
      let session = try await client.session()
      #expect(try await client.call(.get, "/api/v1/profile", as: .bearer(session.accessToken)).status == .ok)
      try await server.execute(
        "UPDATE auth_sessions SET revoked_at = ?, revoked_reason = 'logout'", [.int64(Timestamp.nowMillis())])
      #expect(
        try await client.call(.get, "/api/v1/profile", as: .bearer(session.accessToken)).code
          == "AUTH_INVALID_TOKEN")
    }
  }

  /// A new display name is not hidden by a cached principal.
  @Test func profileChangesAreSeenAtOnce() async throws {
    try await Accounts.server { $0.sessionCacheMs = 60_000 }.run { client in
      let session = try await client.session()
      #expect(try await client.call(.get, "/api/v1/profile", as: .bearer(session.accessToken)).status == .ok)
      let patched = try await client.call(
        .patch, "/api/v1/profile", as: .bearer(session.accessToken), json: ["name": "Ibu Sari"])
      #expect(patched.status == .ok)
      let profile = try await client.call(.get, "/api/v1/profile", as: .bearer(session.accessToken))
      #expect(profile.data?["name"]?.string == "Ibu Sari")
    }
  }
}
