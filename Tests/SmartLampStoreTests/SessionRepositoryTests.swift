import SmartLampStore
import Testing

@Suite struct SessionRepositoryTests {
  func newSession(_ userId: Int64, _ hash: String, expiresAt: Int64 = 1_000_000) -> NewSession {
    NewSession(userId: userId, refreshTokenHash: hash, expiresAt: expiresAt, userAgent: "curl/8", ipAddress: "10.0.0.2")
  }

  @Test func createFindAndLiveness() async throws {
    let fixture = try await StoreFixture()
    let user = try await fixture.user()
    let sessions = fixture.store.sessions
    let s = try await sessions.create(newSession(user.id, "h1"), now: 100)
    #expect(s.userId == user.id)
    #expect(!s.familyId.isEmpty)
    #expect(s.userAgent == "curl/8" && s.ipAddress == "10.0.0.2")
    #expect(try await sessions.byRefreshHash("h1") == s)
    #expect(try await sessions.byRefreshHash("nope") == nil)
    #expect(try await sessions.isLive(s.id, userId: user.id, now: 999_999))
    #expect(!(try await sessions.isLive(s.id, userId: user.id, now: 1_000_000)), "expired")
    #expect(!(try await sessions.isLive(s.id, userId: user.id + 1, now: 0)), "other user")
    #expect(!(try await sessions.isLive(12345, now: 0)))
    let other = try await sessions.create(newSession(user.id, "h2"))
    #expect(other.familyId != s.familyId)
    await #expect(throws: StoreError.duplicate(field: "refreshTokenHash")) {
      try await sessions.create(newSession(user.id, "h1"))
    }
    await #expect(throws: StoreError.userNotFound(999)) { try await sessions.create(newSession(999, "h3")) }
  }

  @Test func rotationIsSingleUseAndKeepsTheFamily() async throws {
    let fixture = try await StoreFixture()
    let user = try await fixture.user()
    let sessions = fixture.store.sessions
    let first = try await sessions.create(newSession(user.id, "h1"), now: 100)
    guard
      case .rotated(let old, let second) = try await sessions.rotate(
        first.id, newRefreshTokenHash: "h2", expiresAt: 2_000_000, now: 200)
    else {
      Issue.record("expected rotation")
      return
    }
    #expect(second.familyId == first.familyId)
    #expect(second.expiresAt == 2_000_000)
    #expect(old.rotatedAt == 200 && old.revokedAt == 200 && old.lastUsedAt == 200)
    #expect(old.replacedBySessionId == second.id)
    #expect(old.revokedReason == "rotated")
    #expect(!old.isLive(now: 300))
    #expect(second.isLive(now: 300))

    // Reuse of the rotated token is reported, and the caller revokes the family: the newer token dies too.
    guard case .alreadyUsed(let reused) = try await sessions.rotate(first.id, newRefreshTokenHash: "h3", expiresAt: 1)
    else {
      Issue.record("expected reuse detection")
      return
    }
    #expect(reused.id == first.id)
    #expect(try await sessions.byRefreshHash("h3") == nil)
    #expect(try await sessions.revokeFamily(first.familyId, reason: "reuse", now: 400) == 1)
    #expect(!(try await sessions.isLive(second.id, now: 401)))
    #expect(try await sessions.byId(second.id)?.revokedReason == "reuse")
    #expect(try await sessions.rotate(999, newRefreshTokenHash: "h4", expiresAt: 1) == .notFound)
  }

  @Test func concurrentRotationsOfOneTokenHaveOneWinner() async throws {
    let fixture = try await StoreFixture()
    let user = try await fixture.user()
    let sessions = fixture.store.sessions
    let session = try await sessions.create(newSession(user.id, "h"))
    let outcomes = try await withThrowingTaskGroup(of: SessionRotation.self) { group in
      for i in 0..<20 {
        group.addTask { try await sessions.rotate(session.id, newRefreshTokenHash: "n\(i)", expiresAt: 5_000_000) }
      }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    let winners = outcomes.filter { if case .rotated = $0 { true } else { false } }
    #expect(winners.count == 1)
    #expect(try await fixture.count("auth_sessions") == 2)
  }

  @Test func revokeOneAndAllButOne() async throws {
    let fixture = try await StoreFixture()
    let user = try await fixture.user()
    let other = try await fixture.user("other@example.com")
    let sessions = fixture.store.sessions
    let a = try await sessions.create(newSession(user.id, "a"))
    let b = try await sessions.create(newSession(user.id, "b"))
    let c = try await sessions.create(newSession(user.id, "c"))
    let foreign = try await sessions.create(newSession(other.id, "d"))
    #expect(try await sessions.revoke(c.id, reason: "logout", now: 10))
    #expect(try await sessions.revoke(c.id, reason: "again", now: 20))
    #expect(try await sessions.byId(c.id)?.revokedAt == 10)
    #expect(try await sessions.byId(c.id)?.revokedReason == "logout")
    #expect(!(try await sessions.revoke(999, reason: "x")))
    #expect(try await sessions.revokeAllForUser(user.id, except: a.id, reason: "password_changed", now: 30) == 1)
    #expect(try await sessions.isLive(a.id, now: 31))
    #expect(!(try await sessions.isLive(b.id, now: 31)))
    #expect(try await sessions.isLive(foreign.id, now: 31))
    #expect(try await sessions.revokeAllForUser(user.id, reason: "admin", now: 40) == 1)
    #expect(!(try await sessions.isLive(a.id, now: 41)))
  }

  @Test func purgeExpired() async throws {
    let fixture = try await StoreFixture()
    let user = try await fixture.user()
    let old = try await fixture.store.sessions.create(newSession(user.id, "old", expiresAt: 10))
    guard case .rotated = try await fixture.store.sessions.rotate(old.id, newRefreshTokenHash: "new", expiresAt: 100)
    else {
      Issue.record("expected rotation")
      return
    }
    #expect(try await fixture.store.sessions.purgeExpired(before: 50) == 1)
    #expect(try await fixture.store.sessions.byRefreshHash("new")?.replacedBySessionId == nil)
    #expect(try await fixture.count("auth_sessions") == 1)
  }

  @Test func deletingAUserCascadesToSessions() async throws {
    let fixture = try await StoreFixture()
    let user = try await fixture.user()
    _ = try await fixture.store.sessions.create(newSession(user.id, "x"))
    try await fixture.database.write { conn in try conn.execute("DELETE FROM users WHERE id = ?", [.int64(user.id)]) }
    #expect(try await fixture.count("auth_sessions") == 0)
  }
}
