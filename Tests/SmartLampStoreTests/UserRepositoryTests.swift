import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

@Suite struct UserRepositoryTests {
  @Test(arguments: StoreEngine.all) func createAndLookUp(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let users = fixture.store.users
    let created = try await users.create(
      NewUser(name: "Ayah", email: "Ayah@Example.com", passwordHash: "$2b$12$x", role: .admin), now: 1_000)
    #expect(created.id > 0)
    #expect(created.email == "Ayah@Example.com")
    #expect(created.role == .admin)
    #expect(created.isActive && created.isUsable && !created.isArchived)
    #expect(created.createdAt == "1970-01-01T00:00:01.000Z")
    #expect(try await users.byId(created.id) == created)
    #expect(try await users.byEmail("ayah@example.COM") == created)
    #expect(try await users.byEmail("nobody@example.com") == nil)
    #expect(try await users.byId(999) == nil)
  }

  @Test(arguments: StoreEngine.all) func emailsAreUniqueCaseInsensitively(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    _ = try await fixture.user("a@example.com")
    await #expect(throws: StoreError.duplicate(field: "email")) { try await fixture.user("A@EXAMPLE.com") }
    let b = try await fixture.user("b@example.com")
    await #expect(throws: StoreError.duplicate(field: "email")) {
      try await fixture.store.users.update(b.id, UserChanges(email: "A@example.com"))
    }
    // Changing one's own email's case is fine.
    #expect(try await fixture.store.users.update(b.id, UserChanges(email: "B@example.com")).email == "B@example.com")
  }

  @Test(arguments: StoreEngine.all) func listOrdersByRoleThenIdAndHidesArchived(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let m1 = try await fixture.user("m1@example.com")
    let admin = try await fixture.user("root@example.com", role: .admin)
    let m2 = try await fixture.user("m2@example.com")
    _ = try await fixture.store.users.archive(m2.id, by: admin.id)
    #expect(try await fixture.store.users.list().map(\.id) == [admin.id, m1.id])
    #expect(try await fixture.store.users.list(includeArchived: true).map(\.id) == [admin.id, m1.id, m2.id])
  }

  @Test(arguments: StoreEngine.all) func pagesInRoleThenIdOrder(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    var ids: [Int64] = []
    for i in 0..<5 { ids.append(try await fixture.user("u\(i)@example.com").id) }
    let admin = try await fixture.user("root@example.com", role: .admin)
    _ = try await fixture.store.users.archive(ids[1], by: nil)
    let first = try await fixture.store.users.page(limit: 2)
    #expect(first.items.map(\.id) == [admin.id, ids[0]], "admin sorts before member")
    #expect(first.next == UserListPosition(role: "member", id: ids[0]))
    let second = try await fixture.store.users.page(limit: 2, after: first.next)
    #expect(second.items.map(\.id) == [ids[2], ids[3]])
    let third = try await fixture.store.users.page(limit: 2, after: second.next)
    #expect(third.items.map(\.id) == [ids[4]] && third.next == nil)
    let all = try await fixture.store.users.page(limit: 10, includeArchived: true)
    #expect(all.items.map(\.id) == [admin.id] + ids && all.next == nil)
    // The cursor keeps the stored role text, so upstream values outside admin/member page correctly too.
    try await fixture.database.write { conn in
      try conn.execute("UPDATE users SET role = ' Admin ' WHERE id = ?", [.int64(admin.id)])
    }
    let odd = try await fixture.store.users.page(limit: 1)
    #expect(odd.items.first?.role == .admin && odd.next == UserListPosition(role: " Admin ", id: admin.id))
    #expect(try await fixture.store.users.page(limit: 1, after: odd.next).items.map(\.id) == [ids[0]])
  }

  @Test(arguments: StoreEngine.all) func updateFields(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let user = try await fixture.user()
    let updated = try await fixture.store.users.update(
      user.id, UserChanges(name: "Kakak", role: .admin, isActive: false), now: 5_000)
    #expect(updated.name == "Kakak")
    #expect(updated.role == .admin)
    #expect(!updated.isActive)
    #expect(updated.updatedAt == "1970-01-01T00:00:05.000Z")
    #expect(try await fixture.store.users.update(user.id, UserChanges()) == updated)
    await #expect(throws: StoreError.userNotFound(42)) {
      try await fixture.store.users.update(42, UserChanges(name: "x"))
    }
  }

  @Test(arguments: StoreEngine.all) func theLastActiveAdminIsProtected(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let users = fixture.store.users
    let root = try await fixture.user("root@example.com", role: .admin)
    #expect(try await users.countActiveAdmins() == 1)
    await #expect(throws: StoreError.lastActiveAdmin) { try await users.update(root.id, UserChanges(role: .member)) }
    await #expect(throws: StoreError.lastActiveAdmin) { try await users.update(root.id, UserChanges(isActive: false)) }
    await #expect(throws: StoreError.lastActiveAdmin) { try await users.archive(root.id, by: nil) }
    // Nothing was half-written.
    let unchanged = try #require(try await users.byId(root.id))
    #expect(unchanged.role == .admin && unchanged.isUsable)

    let second = try await fixture.user("second@example.com", role: .admin)
    #expect(try await users.countActiveAdmins() == 2)
    #expect(try await users.update(root.id, UserChanges(role: .member)).role == .member)
    await #expect(throws: StoreError.lastActiveAdmin) { try await users.archive(second.id, by: nil) }
    // Explicitly unprotected changes go through (e.g. a CLI repair).
    #expect(try await users.update(second.id, UserChanges(isActive: false), protectLastAdmin: false).isActive == false)
    #expect(try await users.countActiveAdmins() == 0)
  }

  @Test(arguments: StoreEngine.all) func archiveAndRestore(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let admin = try await fixture.user("root@example.com", role: .admin)
    let member = try await fixture.user()
    let archived = try await fixture.store.users.archive(member.id, by: admin.id, now: 10_000)
    #expect(archived.isArchived && !archived.isActive && !archived.isUsable)
    #expect(archived.deletedAt == "1970-01-01T00:00:10.000Z")
    #expect(archived.deletedByUserId == admin.id)
    // Archiving again keeps the first time and actor.
    let again = try await fixture.store.users.archive(member.id, by: nil, now: 20_000)
    #expect(again.deletedAt == archived.deletedAt)
    #expect(again.deletedByUserId == admin.id)
    let restored = try await fixture.store.users.restore(member.id)
    #expect(restored.isUsable && restored.deletedAt == nil && restored.deletedByUserId == nil)
    await #expect(throws: StoreError.userNotFound(77)) { try await fixture.store.users.restore(77) }
    await #expect(throws: StoreError.userNotFound(77)) { try await fixture.store.users.archive(77, by: nil) }
  }

  @Test(arguments: StoreEngine.all) func passwordHashUpdate(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let user = try await fixture.user()
    #expect(try await fixture.store.users.updatePasswordHash(user.id, "$2b$12$new"))
    #expect(try await fixture.store.users.byId(user.id)?.passwordHash == "$2b$12$new")
    #expect(!(try await fixture.store.users.updatePasswordHash(999, "x")))
  }

  @Test(arguments: StoreEngine.all) func firstAdminBootstrapOnlyWhileNoAdminExists(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    _ = try await fixture.user()
    let first = try await fixture.store.users.createAdminIfNoneExists(
      NewUser(name: "Root", email: "root@example.com", passwordHash: "h", role: .member, isActive: false))
    #expect(first?.role == .admin)
    #expect(first?.isActive == true)
    let second = try await fixture.store.users.createAdminIfNoneExists(
      NewUser(name: "Other", email: "other@example.com", passwordHash: "h"))
    #expect(second == nil)
    #expect(try await fixture.store.users.byEmail("other@example.com") == nil)
  }

  @Test(arguments: StoreEngine.all) func archivedAdminsDoNotCount(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let a = try await fixture.user("a@example.com", role: .admin)
    let b = try await fixture.user("b@example.com", role: .admin)
    _ = try await fixture.store.users.archive(b.id, by: a.id)
    #expect(try await fixture.store.users.countActiveAdmins() == 1)
    let c = try await fixture.user("c@example.com", role: .admin)
    _ = try await fixture.store.users.update(c.id, UserChanges(isActive: false))
    #expect(try await fixture.store.users.countActiveAdmins() == 1)
  }
}

/// The transactional user changes the accounts routes make: a check before anything changes, sessions ended with
/// the change, archival pausing schedules.
@Suite struct UserChangeTransactionTests {
  struct Refused: Error, Equatable {}

  @Test(arguments: StoreEngine.all) func checkRunsFirstAndARefusalChangesNothing(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let root = try await fixture.user("root@example.com", role: .admin)
    let other = try await fixture.user("other@example.com", role: .admin)
    let users = fixture.store.users
    let seen = try await users.update(root.id, UserChanges(name: "Seen"), protectLastAdmin: false) { check in
      #expect(check.user.id == root.id && check.user.name == "Member")
      let others = try check.otherActiveAdminCount()
      #expect(others == 1)
    }
    #expect(seen.name == "Seen")
    await #expect(throws: Refused()) {
      try await users.update(root.id, UserChanges(name: "Nope", email: "other@example.com")) { _ in throw Refused() }
    }
    #expect(try await users.byId(root.id)?.name == "Seen")
    // The email check comes after the caller's check.
    await #expect(throws: StoreError.duplicate(field: "email")) {
      try await users.update(root.id, UserChanges(email: "OTHER@example.com")) { _ in }
    }
    _ = try await users.update(other.id, UserChanges(isActive: false))
    await #expect(throws: Refused()) {
      try await users.archive(root.id, by: nil, protectLastAdmin: false) { check in
        let others = try check.otherActiveAdminCount()
        #expect(others == 0, "the other admin is inactive")
        throw Refused()
      }
    }
    #expect(try await users.byId(root.id)?.isArchived == false)
  }

  @Test(arguments: StoreEngine.all) func passwordChangeEndsOtherSessionsInTheSameTransaction(engine: StoreEngine)
    async throws
  {
    let fixture = try await StoreFixture(engine)
    let user = try await fixture.user()
    let sessions = fixture.store.sessions
    let keep = try await sessions.create(NewSession(userId: user.id, refreshTokenHash: "keep", expiresAt: .max))
    let drop = try await sessions.create(NewSession(userId: user.id, refreshTokenHash: "drop", expiresAt: .max))
    let updated = try await fixture.store.users.update(
      user.id, UserChanges(passwordHash: "new-hash"), revokeSessions: .passwordChanged, keepingFamilyOf: keep.id,
      now: 50)
    #expect(updated.passwordHash == "new-hash")
    #expect(try await sessions.byId(keep.id)?.revokedAt == nil)
    #expect(try await sessions.byId(drop.id)?.revokedReason == "password_changed")
    _ = try await fixture.store.users.update(user.id, UserChanges(isActive: false), revokeSessions: .userDisabled)
    #expect(try await sessions.byId(keep.id)?.revokedReason == "user_disabled")
  }

  @Test(arguments: StoreEngine.all) func archivePausesSchedulesAndEndsSessions(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let admin = try await fixture.user("root@example.com", role: .admin)
    let user = try await fixture.user()
    let device = try await fixture.device()
    let session = try await fixture.store.sessions.create(
      NewSession(userId: user.id, refreshTokenHash: "s", expiresAt: .max))
    try await fixture.database.write { conn in
      try conn.execute(
        """
        INSERT INTO device_schedules (user_id, device_id, action, cron_expr, timezone, next_run_at, created_at,
          updated_at) VALUES (?, ?, 'ON', '* * * * *', 'UTC', 0, 'x', 'x')
        """, [.int64(user.id), .int64(device.id)])
    }
    let archived = try await fixture.store.users.archive(user.id, by: admin.id, now: 70)
    #expect(archived.isArchived && !archived.isActive && archived.deletedByUserId == admin.id)
    let enabled = try await fixture.database.read { conn in
      try conn.queryOne("SELECT enabled FROM device_schedules")?.bool("enabled")
    }
    #expect(enabled == false)
    #expect(try await fixture.store.sessions.byId(session.id)?.revokedReason == "user_disabled")
    #expect(try await fixture.store.users.restore(user.id).isUsable)
  }

  @Test(arguments: StoreEngine.all) func passwordHashUpgradeOnlyReplacesTheHashItRead(engine: StoreEngine) async throws
  {
    let fixture = try await StoreFixture(engine)
    let user = try await fixture.user()
    let users = fixture.store.users
    #expect(!(try await users.updatePasswordHash(user.id, "upgraded", replacing: "stale")))
    #expect(try await users.byId(user.id)?.passwordHash == "hash")
    #expect(try await users.updatePasswordHash(user.id, "upgraded", replacing: "hash"))
    #expect(try await users.byId(user.id)?.passwordHash == "upgraded")
    #expect(!(try await users.updatePasswordHash(999, "x")))
  }
}

@Suite struct LastAdminConcurrencyTests {
  /// Two admins demoted at the same time: exactly one demotion goes through, on every engine (InnoDB needs the
  /// admins' rows locked; without it each transaction still sees the other admin active).
  @Test(arguments: StoreEngine.all) func concurrentDemotionsLeaveOneAdmin(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let users = fixture.store.users
    for round in 0..<5 {
      let first = try await fixture.user("a\(round)@example.com", role: .admin)
      let second = try await fixture.user("b\(round)@example.com", role: .admin)
      let results = await withTaskGroup(of: Bool.self) { group in
        for id in [first.id, second.id] {
          group.addTask { (try? await users.update(id, UserChanges(role: .member))) != nil }
        }
        return await group.reduce(into: [Bool]()) { $0.append($1) }
      }
      #expect(results.filter { $0 }.count == 1, "round \(round): \(results)")
      #expect(try await users.countActiveAdmins() == 1)
      // The next round starts without admins.
      for id in [first.id, second.id] {
        _ = try await users.update(id, UserChanges(role: .member), protectLastAdmin: false)
      }
    }
  }
}
