import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

/// The setup code's digest in `server_state` (replaced, spent once, only while no admin exists) and a person's
/// sessions as families (listed, revoked one or all but the current).
@Suite struct SetupAndSessionFamilyTests {
  static func admin(_ email: String = "first@example.com") -> NewUser {
    NewUser(name: "First", email: email, passwordHash: "bcrypt-hash", role: .member)
  }

  @Test(arguments: StoreEngine.all) func aCodeIsSpentOnceByTheFirstAdmin(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    let setup = f.store.setup
    #expect(try await setup.needsSetup())
    #expect(try await setup.codeDigest() == nil)
    #expect(try await setup.complete(admin: Self.admin(), matches: { _ in true }) == .invalidCode)
    #expect(try await setup.replaceCode(hash: "first"))
    #expect(try await setup.replaceCode(hash: "second"))
    #expect(try await setup.codeDigest() == "second")
    #expect(try await setup.complete(admin: Self.admin(), matches: { $0 == "first" }) == .invalidCode)
    #expect(try await f.count("users") == 0)
    guard case .created(let user) = try await setup.complete(admin: Self.admin(), matches: { $0 == "second" }) else {
      Issue.record("expected the admin to be created")
      return
    }
    #expect(user.role == .admin && user.isActive && user.email == "first@example.com")
    #expect(try await setup.codeDigest() == nil)
    #expect(try await !setup.needsSetup())
    #expect(try await setup.complete(admin: Self.admin("again@example.com"), matches: { _ in true }) == .alreadyDone)
    // Once an admin exists no code can be stored.
    #expect(try await !setup.replaceCode(hash: "third"))
    #expect(try await setup.codeDigest() == nil)
  }

  @Test(arguments: StoreEngine.all) func aTakenEmailChangesNothing(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    _ = try await f.user("taken@example.com")
    #expect(try await f.store.setup.replaceCode(hash: "h"))
    await #expect(throws: StoreError.duplicate(field: "email")) {
      try await f.store.setup.complete(admin: Self.admin("TAKEN@example.com"), matches: { _ in true })
    }
    #expect(try await f.store.setup.codeDigest() == "h")
    #expect(try await f.store.setup.needsSetup())
  }

  @Test(arguments: StoreEngine.all) func concurrentCompletionsCreateOneAdmin(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    let setup = f.store.setup
    #expect(try await setup.replaceCode(hash: "h"))
    let outcomes = try await withThrowingTaskGroup(of: SetupCompletion.self) { group in
      for index in 0..<8 {
        group.addTask {
          try await setup.complete(admin: Self.admin("admin\(index)@example.com"), matches: { $0 == "h" })
        }
      }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    #expect(outcomes.filter { if case .created = $0 { true } else { false } }.count == 1)
    #expect(outcomes.allSatisfy { if case .created = $0 { true } else { $0 == .invalidCode || $0 == .alreadyDone } })
    #expect(try await f.count("users") == 1)
  }

  @Test(arguments: StoreEngine.all) func sessionsAreListedAndRevokedAsFamilies(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    let person = try await f.user()
    let stranger = try await f.user("stranger@example.com")
    let sessions = f.store.sessions
    func login(_ user: UserRecord, _ hash: String, at now: Int64, agent: String) async throws -> SessionRecord {
      try await sessions.create(
        NewSession(
          userId: user.id, refreshTokenHash: hash, expiresAt: now + 1_000_000, userAgent: agent,
          ipAddress: "10.0.0.\(now % 200)"), now: now)
    }
    let phone = try await login(person, "p1", at: 1_000, agent: "Phone")
    let laptop = try await login(person, "l1", at: 2_000, agent: "Laptop")
    let old = try await login(person, "o1", at: 500, agent: "Old")
    _ = try await sessions.revokeFamily(old.familyId, reason: .logout, now: 600)
    let theirs = try await login(stranger, "s1", at: 3_000, agent: "Theirs")
    // The phone refreshes: same session for the person, a new row underneath.
    guard
      case .rotated(_, let refreshed) = try await sessions.refresh(
        refreshTokenHash: "p1", newRefreshTokenHash: "p2", expiresAt: 9_000_000, userAgent: "Phone 2",
        ipAddress: "10.0.0.9", now: 4_000)
    else {
      Issue.record("expected rotation")
      return
    }
    let listed = try await sessions.activeFamilies(userId: person.id, now: 5_000)
    #expect(listed.map(\.id) == [laptop.id, phone.id])
    #expect(listed[1].createdAt == 1_000 && listed[1].lastUsedAt == 4_000 && listed[1].userAgent == "Phone 2")
    #expect(listed[0].createdAt == 2_000 && listed[0].lastUsedAt == 2_000 && listed[0].ipAddress != nil)

    // Another person's session, an ended one and an unknown id are all "not yours".
    #expect(try await !sessions.revokeFamily(ofSession: theirs.id, userId: person.id, reason: .logout, now: 5_000))
    #expect(try await !sessions.revokeFamily(ofSession: old.id, userId: person.id, reason: .logout, now: 5_000))
    #expect(try await !sessions.revokeFamily(ofSession: 999_999, userId: person.id, reason: .logout, now: 5_000))
    // The listed id revokes the whole family, the refreshed token included.
    #expect(try await sessions.revokeFamily(ofSession: phone.id, userId: person.id, reason: .logout, now: 5_000))
    #expect(try await sessions.liveUser(sessionId: refreshed.id, userId: person.id, now: 5_001) == nil)
    #expect(try await sessions.activeFamilies(userId: person.id, now: 5_001).map(\.id) == [laptop.id])

    let tablet = try await login(person, "t1", at: 6_000, agent: "Tablet")
    #expect(
      try await sessions.revokeOtherFamilies(userId: person.id, keeping: tablet.id, reason: .logout, now: 7_000) == 1)
    #expect(try await sessions.activeFamilies(userId: person.id, now: 7_001).map(\.id) == [tablet.id])
    #expect(try await sessions.liveUser(sessionId: tablet.id, userId: person.id, now: 7_001)?.id == person.id)
    #expect(try await sessions.activeFamilies(userId: stranger.id, now: 7_001).map(\.id) == [theirs.id])
  }
}
