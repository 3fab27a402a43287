import SmartLampCore
import SmartLampStore
import Testing

/// Two independent pools on one file behave like the CLI next to a running server: each has its own writer
/// connection, so only SQLite's locking (BEGIN IMMEDIATE + busy timeout) keeps the read-then-write atomic.
@Suite struct TwoProcessTests {
  @Test func rateLimitHitIsAtomicAcrossPools() async throws {
    let fixture = try await StoreFixture()
    let second = try SQLiteDatabase(path: fixture.database.path)
    let repos = [fixture.store.rateLimits, RateLimitRepository(database: second)]
    let limit = FixedWindowLimit(limit: 25, windowMs: 600_000)
    let now = Timestamp.nowMillis()
    let allowed = try await withThrowingTaskGroup(of: Bool.self) { group in
      for i in 0..<80 {
        let repo = repos[i % 2]
        group.addTask { try await repo.hit("shared", limit: limit, now: now).allowed }
      }
      return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
    }
    #expect(allowed == 25)
    #expect(try await fixture.store.rateLimits.window("shared")?.count == 25)
    try await second.close()
  }

  @Test func idempotencyClaimIsAtomicAcrossPools() async throws {
    let fixture = try await StoreFixture()
    let second = try SQLiteDatabase(path: fixture.database.path)
    let repos = [fixture.store.idempotency, IdempotencyRepository(database: second)]
    let claim = IdempotencyClaim(principal: "user:1", key: "k", method: "POST", path: "/p", requestHash: "h")
    let winners = try await withThrowingTaskGroup(of: Int.self) { group in
      for i in 0..<40 {
        let repo = repos[i % 2]
        group.addTask {
          if case .claimed = try await repo.claim(claim) { return 1 }
          return 0
        }
      }
      return try await group.reduce(0, +)
    }
    #expect(winners == 1)
    try await second.close()
  }

  @Test func migratingTwiceFromTwoPoolsAppliesOnce() async throws {
    let fixture = try await StoreFixture()
    let second = try SQLiteDatabase(path: fixture.database.path)
    #expect(try await Migrator(database: second).migrate().isEmpty)
    #expect(try await Migrator(database: second).appliedVersions() == ["0001_base", "0002_contract"])
    try await second.close()
  }
}
