import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

@Suite struct ApiKeyRepositoryTests {
  @Test(arguments: StoreEngine.all) func createFindListRevoke(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let admin = try await fixture.user("root@example.com", role: .admin)
    let keys = fixture.store.apiKeys
    let key = try await keys.create(
      NewApiKey(
        name: "Home Assistant 🏠", apiKeyHash: "hash-1", keyPrefix: "slk_AbCd", scopes: APIScopes([.read, .command]),
        ownerUserId: admin.id, createdByUserId: admin.id, expiresAt: 10_000), now: 500)
    #expect(key.name == "Home Assistant 🏠")
    #expect(key.scopes == APIScopes([.read, .command]))
    #expect(key.keyPrefix == "slk_AbCd")
    #expect(key.ownerUserId == admin.id && key.createdByUserId == admin.id)
    #expect(key.isUsable(now: 9_999))
    #expect(!key.isUsable(now: 10_000), "expired")
    #expect(try await keys.byHash("hash-1") == key)
    #expect(try await keys.byHash("nope") == nil)
    #expect(try await keys.byId(key.id) == key)

    let wildcard = try await keys.create(
      NewApiKey(
        name: "all", apiKeyHash: "hash-2", keyPrefix: nil, scopes: .all, ownerUserId: admin.id, createdByUserId: nil))
    #expect(wildcard.scopes.isWildcard)
    #expect(wildcard.isUsable(now: .max))
    #expect(try await keys.list().map(\.id) == [key.id, wildcard.id])

    await #expect(throws: StoreError.duplicate(field: "apiKeyHash")) {
      try await keys.create(
        NewApiKey(
          name: "dup", apiKeyHash: "hash-1", keyPrefix: nil, scopes: .all, ownerUserId: nil, createdByUserId: nil))
    }
    await #expect(throws: StoreError.userNotFound(999)) {
      try await keys.create(
        NewApiKey(name: "x", apiKeyHash: "hash-3", keyPrefix: nil, scopes: .all, ownerUserId: 999, createdByUserId: nil)
      )
    }

    #expect(try await keys.revoke(key.id, now: 600))
    #expect(try await keys.revoke(key.id, now: 700))
    let revoked = try #require(try await keys.byId(key.id))
    #expect(!revoked.isActive && revoked.revokedAt == 600 && !revoked.isUsable(now: 0))
    #expect(!(try await keys.revoke(999)))
  }

  @Test(arguments: StoreEngine.all) func touchLastUsedIsThrottled(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let keys = fixture.store.apiKeys
    let key = try await keys.create(
      NewApiKey(name: "k", apiKeyHash: "h", keyPrefix: nil, scopes: .all, ownerUserId: nil, createdByUserId: nil))
    #expect(key.lastUsedAt == nil)
    #expect(try await keys.touchLastUsed(key.id, now: 100_000))
    #expect(!(try await keys.touchLastUsed(key.id, now: 130_000)))
    #expect(try await keys.byId(key.id)?.lastUsedAt == 100_000)
    #expect(!(try await keys.touchLastUsed(key.id, now: 160_000)), "exactly one interval later is not yet due")
    #expect(try await keys.touchLastUsed(key.id, now: 160_001))
    #expect(try await keys.byId(key.id)?.lastUsedAt == 160_001)
    #expect(try await keys.touchLastUsed(key.id, now: 160_002, minimumIntervalMillis: 0))
  }
}

@Suite struct ApiKeyLookupTests {
  func newKey(_ hash: String, owner: Int64?, expiresAt: Int64? = nil) -> NewApiKey {
    NewApiKey(
      name: hash, apiKeyHash: hash, keyPrefix: nil, scopes: .all, ownerUserId: owner, createdByUserId: nil,
      expiresAt: expiresAt)
  }

  @Test(arguments: StoreEngine.all) func lookupCarriesTheOwnersRoleWhileTheOwnerMayAct(engine: StoreEngine) async throws
  {
    let fixture = try await StoreFixture(engine)
    let admin = try await fixture.user("root@example.com", role: .admin)
    let member = try await fixture.user()
    let keys = fixture.store.apiKeys
    let adminKey = try await keys.create(newKey("k-admin", owner: admin.id))
    _ = try await keys.create(newKey("k-member", owner: member.id))
    _ = try await keys.create(newKey("k-none", owner: nil))
    #expect(try await keys.lookup(hash: "k-admin") == ApiKeyLookup(key: adminKey, ownerRole: .admin))
    #expect(try await keys.lookup(hash: "k-member")?.ownerRole == .member)
    #expect(try await keys.lookup(hash: "k-none")?.ownerRole == nil)
    #expect(try await keys.lookup(hash: "ghost") == nil)
    _ = try await fixture.store.users.archive(member.id, by: admin.id)
    let orphan = try #require(try await keys.lookup(hash: "k-member"))
    #expect(orphan.ownerRole == nil && orphan.key.isActive, "the key stays, its owner's rights do not")
    // A new key needs an owner who may act.
    await #expect(throws: StoreError.userNotUsable(member.id)) {
      try await keys.create(newKey("k-late", owner: member.id))
    }
  }

  @Test(arguments: StoreEngine.all) func usableIdsLeaveOutRevokedExpiredAndInactiveKeys(engine: StoreEngine)
    async throws
  {
    let fixture = try await StoreFixture(engine)
    let keys = fixture.store.apiKeys
    let live = try await keys.create(newKey("a", owner: nil))
    let expiring = try await keys.create(newKey("b", owner: nil, expiresAt: 1_000))
    let revoked = try await keys.create(newKey("c", owner: nil))
    #expect(try await keys.revoke(revoked.id))
    let all: Set<Int64> = [live.id, expiring.id, revoked.id, 999]
    #expect(try await keys.usableIds(among: all, now: 999) == [live.id, expiring.id])
    #expect(try await keys.usableIds(among: all, now: 1_000) == [live.id])
    #expect(try await keys.usableIds(among: []).isEmpty)
  }
}
