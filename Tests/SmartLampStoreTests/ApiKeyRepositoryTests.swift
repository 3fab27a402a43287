import SmartLampCore
import SmartLampStore
import Testing

@Suite struct ApiKeyRepositoryTests {
  @Test func createFindListRevoke() async throws {
    let fixture = try await StoreFixture()
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

  @Test func touchLastUsedIsThrottled() async throws {
    let fixture = try await StoreFixture()
    let keys = fixture.store.apiKeys
    let key = try await keys.create(
      NewApiKey(name: "k", apiKeyHash: "h", keyPrefix: nil, scopes: .all, ownerUserId: nil, createdByUserId: nil))
    #expect(key.lastUsedAt == nil)
    #expect(try await keys.touchLastUsed(key.id, now: 100_000))
    #expect(!(try await keys.touchLastUsed(key.id, now: 130_000)))
    #expect(try await keys.byId(key.id)?.lastUsedAt == 100_000)
    #expect(try await keys.touchLastUsed(key.id, now: 160_000))
    #expect(try await keys.byId(key.id)?.lastUsedAt == 160_000)
    #expect(try await keys.touchLastUsed(key.id, now: 160_001, minimumIntervalMillis: 0))
  }
}
