import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

@Suite struct SessionRepositoryTests {
  func newSession(_ userId: Int64, _ hash: String, expiresAt: Int64 = 1_000_000) -> NewSession {
    NewSession(userId: userId, refreshTokenHash: hash, expiresAt: expiresAt, userAgent: "curl/8", ipAddress: "10.0.0.2")
  }

  @Test(arguments: StoreEngine.all) func createAndFind(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let user = try await fixture.user()
    let sessions = fixture.store.sessions
    let s = try await sessions.create(newSession(user.id, "h1"), now: 100)
    #expect(s.userId == user.id)
    #expect(!s.familyId.isEmpty)
    #expect(s.userAgent == "curl/8" && s.ipAddress == "10.0.0.2")
    #expect(try await sessions.byRefreshHash("h1") == s)
    #expect(try await sessions.byRefreshHash("nope") == nil)
    #expect(try await sessions.byId(s.id) == s)
    let other = try await sessions.create(newSession(user.id, "h2"))
    #expect(other.familyId != s.familyId)
    await #expect(throws: StoreError.duplicate(field: "refreshTokenHash")) {
      try await sessions.create(newSession(user.id, "h1"))
    }
    await #expect(throws: StoreError.userNotFound(999)) { try await sessions.create(newSession(999, "h3")) }
    let long = try await sessions.create(
      NewSession(
        userId: user.id, refreshTokenHash: "h4", expiresAt: 1, userAgent: String(repeating: "a", count: 600),
        ipAddress: String(repeating: "1", count: 300)))
    #expect(long.userAgent?.count == 512 && long.ipAddress?.count == 255)
  }

  @Test(arguments: StoreEngine.all) func refreshRotatesWithinTheFamily(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let user = try await fixture.user()
    let sessions = fixture.store.sessions
    let first = try await sessions.create(newSession(user.id, "h1"), now: 100)
    guard
      case .rotated(let owner, let second) = try await sessions.refresh(
        refreshTokenHash: "h1", newRefreshTokenHash: "h2", expiresAt: 2_000_000, userAgent: "ua", ipAddress: "ip",
        now: 200)
    else {
      Issue.record("expected rotation")
      return
    }
    #expect(owner.id == user.id)
    #expect(second.familyId == first.familyId && second.expiresAt == 2_000_000 && second.userAgent == "ua")
    let old = try #require(try await sessions.byId(first.id))
    #expect(old.rotatedAt == 200 && old.revokedAt == 200 && old.lastUsedAt == 200)
    #expect(old.replacedBySessionId == second.id && old.revokedReason == "rotated")
    // The rotated session's access tokens stay valid while the family lives.
    #expect(try await sessions.liveUser(sessionId: first.id, userId: user.id, now: 300)?.id == user.id)
    #expect(try await sessions.liveUser(sessionId: second.id, userId: user.id, now: 300)?.id == user.id)
    #expect(
      try await sessions.refresh(refreshTokenHash: "nope", newRefreshTokenHash: "x", expiresAt: 1, now: 300)
        == .notFound)
  }

  @Test(arguments: StoreEngine.all) func reuseOfARotatedTokenRevokesTheFamily(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let user = try await fixture.user()
    let sessions = fixture.store.sessions
    let first = try await sessions.create(newSession(user.id, "h1"), now: 100)
    _ = try await sessions.refresh(refreshTokenHash: "h1", newRefreshTokenHash: "h2", expiresAt: 2_000_000, now: 200)
    #expect(
      try await sessions.refresh(refreshTokenHash: "h1", newRefreshTokenHash: "h3", expiresAt: 1, now: 300) == .reused)
    #expect(try await sessions.byRefreshHash("h3") == nil)
    let second = try #require(try await sessions.byRefreshHash("h2"))
    #expect(second.revokedAt == 300 && second.revokedReason == "reuse")
    #expect(try await sessions.byId(first.id)?.revokedReason == "reuse", "rotated rows are revoked too")
    #expect(try await sessions.byId(first.id)?.revokedAt == 200, "the first revocation time is kept")
    #expect(try await sessions.liveUser(sessionId: first.id, userId: user.id, now: 301) == nil)
    #expect(try await sessions.liveUser(sessionId: second.id, userId: user.id, now: 301) == nil)
    // Presenting the newest token now is reuse as well, and changes nothing more.
    #expect(
      try await sessions.refresh(refreshTokenHash: "h2", newRefreshTokenHash: "h4", expiresAt: 1, now: 400) == .reused)
    #expect(try await sessions.byId(second.id)?.revokedAt == 300)
  }

  @Test(arguments: StoreEngine.all) func expiredTokensAndDisabledUsersEndTheFamily(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let user = try await fixture.user()
    let sessions = fixture.store.sessions
    _ = try await sessions.create(newSession(user.id, "old", expiresAt: 500))
    #expect(
      try await sessions.refresh(refreshTokenHash: "old", newRefreshTokenHash: "n1", expiresAt: 9, now: 500)
        == .expired)
    #expect(try await sessions.byRefreshHash("old")?.revokedReason == "expired")
    _ = try await sessions.create(newSession(user.id, "live"))
    _ = try await fixture.store.users.update(user.id, UserChanges(isActive: false), protectLastAdmin: false)
    #expect(
      try await sessions.refresh(refreshTokenHash: "live", newRefreshTokenHash: "n2", expiresAt: 9, now: 600)
        == .userUnusable)
    #expect(try await sessions.byRefreshHash("live")?.revokedReason == "user_disabled")
    #expect(try await sessions.byRefreshHash("n2") == nil)
  }

  @Test(arguments: StoreEngine.all) func concurrentRefreshesOfOneTokenHaveOneWinner(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let user = try await fixture.user()
    let sessions = fixture.store.sessions
    _ = try await sessions.create(newSession(user.id, "h", expiresAt: .max))
    let outcomes = try await withThrowingTaskGroup(of: SessionRefresh.self) { group in
      for i in 0..<20 {
        group.addTask {
          try await sessions.refresh(refreshTokenHash: "h", newRefreshTokenHash: "n\(i)", expiresAt: 5_000_000)
        }
      }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    let winners = outcomes.filter { if case .rotated = $0 { true } else { false } }
    #expect(winners.count == 1)
    #expect(outcomes.filter { $0 == .reused }.count == 19)
    #expect(try await fixture.count("auth_sessions") == 2)
  }

  @Test(arguments: StoreEngine.all) func logoutAndUserWideRevocation(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let user = try await fixture.user()
    let other = try await fixture.user("other@example.com")
    let sessions = fixture.store.sessions
    let a = try await sessions.create(newSession(user.id, "a"))
    let b = try await sessions.create(newSession(user.id, "b"))
    let c = try await sessions.create(newSession(user.id, "c"))
    let foreign = try await sessions.create(newSession(other.id, "d"))
    try await sessions.revokeFamilies(refreshTokenHash: "c", sessionId: nil, reason: .logout, now: 10)
    try await sessions.revokeFamilies(refreshTokenHash: "ghost", sessionId: 999, reason: .logout, now: 10)
    #expect(try await sessions.byId(c.id)?.revokedReason == "logout")
    #expect(try await sessions.revokeFamily(c.familyId, reason: .reuse, now: 20) == 0, "an ended family stays ended")
    #expect(try await sessions.byId(c.id)?.revokedAt == 10)

    #expect(try await sessions.revokeAllForUser(user.id, exceptFamilyOf: a.id, reason: .passwordChanged, now: 30) == 1)
    #expect(try await sessions.liveUser(sessionId: a.id, userId: user.id, now: 31) != nil)
    #expect(try await sessions.liveUser(sessionId: b.id, userId: user.id, now: 31) == nil)
    #expect(try await sessions.byId(b.id)?.revokedReason == "password_changed")
    #expect(try await sessions.liveUser(sessionId: foreign.id, userId: other.id, now: 31) != nil)
    #expect(try await sessions.liveUser(sessionId: foreign.id, userId: user.id, now: 31) == nil, "other user")
    #expect(
      try await sessions.liveSessionIds(among: [a.id, b.id, c.id, foreign.id, 999], now: 31) == [a.id, foreign.id])
    #expect(try await sessions.liveSessionIds(among: [a.id], now: 1_000_000).isEmpty, "expired")
    #expect(try await sessions.liveSessionIds(among: []).isEmpty)

    try await sessions.revokeFamilies(refreshTokenHash: nil, sessionId: a.id, reason: .logout, now: 40)
    #expect(try await sessions.liveUser(sessionId: a.id, userId: user.id, now: 41) == nil)
    _ = try await fixture.store.users.archive(other.id, by: nil, protectLastAdmin: false)
    #expect(try await sessions.liveSessionIds(among: [foreign.id], now: 41).isEmpty, "archived user")
  }

  @Test(arguments: StoreEngine.all) func purgeExpired(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let user = try await fixture.user()
    _ = try await fixture.store.sessions.create(newSession(user.id, "old", expiresAt: 10))
    guard
      case .rotated = try await fixture.store.sessions.refresh(
        refreshTokenHash: "old", newRefreshTokenHash: "new", expiresAt: 100, now: 5)
    else {
      Issue.record("expected rotation")
      return
    }
    #expect(try await fixture.store.sessions.purgeExpired(before: 50) == 1)
    #expect(try await fixture.store.sessions.byRefreshHash("new")?.replacedBySessionId == nil)
    #expect(try await fixture.count("auth_sessions") == 1)
  }

  @Test(arguments: StoreEngine.all) func deletingAUserCascadesToSessions(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let user = try await fixture.user()
    _ = try await fixture.store.sessions.create(newSession(user.id, "x"))
    try await fixture.database.write { conn in try conn.execute("DELETE FROM users WHERE id = ?", [.int64(user.id)]) }
    #expect(try await fixture.count("auth_sessions") == 0)
  }
}
