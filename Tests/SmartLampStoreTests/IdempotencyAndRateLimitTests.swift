import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

@Suite struct IdempotencyRepositoryTests {
  func claim(_ key: String = "k1", principal: String = "user:1", hash: String = "abc") -> IdempotencyClaim {
    IdempotencyClaim(
      principal: principal, key: key, method: "POST", path: "/api/v1/commands/execute", requestHash: hash)
  }

  struct Limited: Error {
    let decision: RateLimitDecision
  }

  /// A rate-limit hit counted inside the claim, as the command route does: its one write before publishing, in
  /// upstream's order (a replay is not counted; a refused hit claims nothing).
  func claimCountingAHit(_ claim: IdempotencyClaim, limit: FixedWindowLimit, now: Int64, repo: IdempotencyRepository)
    async throws -> (IdempotencyClaimOutcome, RateLimitDecision?)
  {
    try await repo.claim(claim, now: now) { conn in
      let decision = try RateLimitRepository.hit("cmd:u1", limit: limit, now: now, on: conn)
      guard decision.allowed else { throw Limited(decision: decision) }
      return decision
    }
  }

  @Test(arguments: StoreEngine.all) func claimCountingAHit(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let repo = fixture.store.idempotency
    let limits = fixture.store.rateLimits
    let limit = FixedWindowLimit(limit: 2, windowMs: 60_000)
    guard
      case (.claimed, let first?) = try await claimCountingAHit(claim("a"), limit: limit, now: 1_000, repo: repo)
    else {
      Issue.record("first claim must win")
      return
    }
    #expect(first.allowed && first.remaining == 1)
    guard case (.existing, nil) = try await claimCountingAHit(claim("a"), limit: limit, now: 1_100, repo: repo) else {
      Issue.record("the same key again is the existing record")
      return
    }
    #expect(try await limits.window("cmd:u1")?.count == 1, "a replay counts no hit")
    guard case (.claimed, _) = try await claimCountingAHit(claim("b"), limit: limit, now: 1_200, repo: repo) else {
      Issue.record("second hit is within the limit")
      return
    }
    do {
      _ = try await claimCountingAHit(claim("c"), limit: limit, now: 1_300, repo: repo)
      Issue.record("third hit is over the limit")
    } catch let limited as Limited {
      #expect(!limited.decision.allowed && limited.decision.retryAfterSec == 60)
    }
    #expect(try await repo.find(principal: "user:1", key: "c", now: 1_300) == nil, "a refused hit claims nothing")
    guard case (.claimed, _) = try await claimCountingAHit(claim("c"), limit: limit, now: 61_001, repo: repo) else {
      Issue.record("a new window allows again")
      return
    }
  }

  @Test(arguments: StoreEngine.all) func claimCompleteReplay(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let repo = fixture.store.idempotency
    guard case .claimed(let record) = try await repo.claim(claim(), now: 1_000) else {
      Issue.record("first claim must win")
      return
    }
    #expect(!record.isComplete)
    #expect(record.expiresAt == 1_000 + IdempotencyRepository.defaultTTLMillis)
    #expect(record.route == "/api/v1/commands/execute" && record.method == "POST")

    guard case .existing(let inProgress) = try await repo.claim(claim(hash: "other"), now: 2_000) else {
      Issue.record("second claim must see the first")
      return
    }
    #expect(!inProgress.isComplete)
    #expect(inProgress.requestHash == "abc")

    #expect(try await repo.complete(claim(), statusCode: 200, responseBody: #"{"success":true,"data":"💡"}"#))
    #expect(!(try await repo.complete(claim(), statusCode: 500, responseBody: "x")), "completed once")
    guard case .existing(let done) = try await repo.claim(claim(), now: 3_000) else {
      Issue.record("replay expected")
      return
    }
    #expect(done.statusCode == 200 && done.responseBody == #"{"success":true,"data":"💡"}"#)
    #expect(!(try await repo.release(claim())), "a completed record is never released")

    // Keys are per principal.
    guard case .claimed = try await repo.claim(claim(principal: "client:9"), now: 3_000) else {
      Issue.record("another principal owns its own key space")
      return
    }
  }

  @Test(arguments: StoreEngine.all) func releaseFindExpiryAndPurge(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let repo = fixture.store.idempotency
    _ = try await repo.claim(claim("a"), ttlMillis: 100, now: 0)
    #expect(try await repo.find(principal: "user:1", key: "a", now: 50) != nil)
    #expect(try await repo.find(principal: "user:1", key: "a", now: 100) == nil, "expired")
    #expect(try await repo.release(claim("a")))
    #expect(try await repo.find(principal: "user:1", key: "a", now: 0) == nil)
    guard case .claimed = try await repo.claim(claim("a"), ttlMillis: 100, now: 0) else {
      Issue.record("a released key can be claimed again")
      return
    }
    _ = try await repo.complete(claim("a"), statusCode: 201, responseBody: "{}")
    guard case .claimed(let fresh) = try await repo.claim(claim("a", hash: "new"), ttlMillis: 100, now: 100) else {
      Issue.record("an expired record is replaced")
      return
    }
    #expect(fresh.requestHash == "new" && !fresh.isComplete)
    _ = try await repo.claim(claim("b"), ttlMillis: 10, now: 0)
    _ = try await repo.claim(claim("c"), ttlMillis: 1_000, now: 0)
    #expect(try await repo.purgeExpired(now: 250) == 2)
    #expect(try await fixture.count("idempotency_records") == 1)
  }

  /// CONTRACT §6: two (here fifty) concurrent identical requests produce exactly one claim.
  @Test(arguments: StoreEngine.all) func claimIsAtomicUnderConcurrency(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let repo = fixture.store.idempotency
    for round in 0..<3 {
      let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
        for _ in 0..<50 {
          group.addTask {
            if case .claimed = try await repo.claim(claim("race-\(round)")) { return true }
            return false
          }
        }
        return try await group.reduce(into: [Bool]()) { $0.append($1) }
      }
      #expect(outcomes.filter { $0 }.count == 1)
      #expect(outcomes.count == 50)
    }
  }
}

@Suite struct RateLimitRepositoryTests {
  @Test(arguments: StoreEngine.all) func fixedWindow(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let repo = fixture.store.rateLimits
    let limit = FixedWindowLimit(limit: 2, windowMs: 60_000)
    let key = RateLimitKey.make(bucket: "command_execute", identifier: "user:1:127.0.0.1")
    #expect(try await repo.hit(key, limit: limit, now: 0).remaining == 1)
    #expect(try await repo.hit(key, limit: limit, now: 1).remaining == 0)
    let denied = try await repo.hit(key, limit: limit, now: 30_000)
    #expect(!denied.allowed && denied.retryAfterSec == 30)
    #expect(try await repo.window(key) == RateWindow(count: 2, resetAt: 60_000))
    #expect(try await repo.hit(key, limit: limit, now: 60_000).allowed, "a new window")
    #expect(try await repo.hit("other", limit: FixedWindowLimit(limit: 0, windowMs: 1), now: 0).allowed)
    #expect(try await repo.window("other") == nil)
  }

  @Test(arguments: StoreEngine.all) func loginBackoffAsUpstreamExample(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let repo = fixture.store.rateLimits
    let policy = LoginBackoffPolicy(limit: 2, windowSec: 60, backoffBaseSec: 5, backoffFactor: 3, backoffMaxSec: 60)
    let key = RateLimitKey.make(bucket: "auth_login", identifier: "10.0.0.9")
    #expect(try await repo.loginCheck(key, policy: policy, now: 0).remaining == 2)
    #expect(try await repo.window(key) == nil, "a check alone stores nothing")
    #expect(try await repo.loginRecordFailure(key, policy: policy, now: 0).allowed)
    #expect(try await repo.loginCheck(key, policy: policy, now: 1_000).allowed)
    #expect(try await repo.loginRecordFailure(key, policy: policy, now: 1_000).allowed)
    let third = try await repo.loginCheck(key, policy: policy, now: 2_000)
    #expect(!third.allowed && third.retryAfterSec == 5)
    let fourth = try await repo.loginCheck(key, policy: policy, now: 3_000)
    #expect(!fourth.allowed && fourth.retryAfterSec == 15)
    let later = try await repo.loginCheck(key, policy: policy, now: 18_000)
    #expect(later.allowed && later.remaining == 2)
    #expect(try await repo.window(key) == nil, "an expired row is deleted")
    _ = try await repo.loginRecordFailure(key, policy: policy, now: 20_000)
    try await repo.loginReset(key)
    #expect(try await repo.window(key) == nil)
  }

  @Test(arguments: StoreEngine.all) func purgeExpired(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let repo = fixture.store.rateLimits
    let limit = FixedWindowLimit(limit: 5, windowMs: 1_000)
    _ = try await repo.hit("a", limit: limit, now: 0)
    _ = try await repo.hit("b", limit: limit, now: 5_000)
    #expect(try await repo.purgeExpired(now: 1_000) == 1)
    #expect(try await repo.window("b") != nil)
  }

  /// The hit is atomic: 100 concurrent requests against a limit of 30 let exactly 30 through.
  @Test(arguments: StoreEngine.all) func hitIsAtomicUnderConcurrency(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let repo = fixture.store.rateLimits
    let limit = FixedWindowLimit(limit: 30, windowMs: 600_000)
    let now = Timestamp.nowMillis()
    let allowed = try await withThrowingTaskGroup(of: Bool.self) { group in
      for _ in 0..<100 {
        group.addTask { try await repo.hit("burst", limit: limit, now: now).allowed }
      }
      return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
    }
    #expect(allowed == 30)
    #expect(try await repo.window("burst")?.count == 30)
  }

  @Test(arguments: StoreEngine.all) func loginFailuresAreAtomicUnderConcurrency(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let repo = fixture.store.rateLimits
    let policy = LoginBackoffPolicy.default
    try await withThrowingTaskGroup(of: Void.self) { group in
      for _ in 0..<40 {
        group.addTask { _ = try await repo.loginRecordFailure("ip", policy: policy, now: 0) }
      }
      try await group.waitForAll()
    }
    #expect(try await repo.window("ip")?.count == 40)
  }
}

@Suite struct RateLimitMultiKeyTests {
  @Test(arguments: StoreEngine.all) func severalWindowsChangeTogether(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let repo = fixture.store.rateLimits
    let keys = ["auth_login:10.0.0.1", "auth_login_account:a@example.com"]
    let stored = try await repo.update(keys, now: 100) { windows in
      #expect(windows.isEmpty)
      return (keys.map { ($0, RateWindowChange.store(RateWindow(count: 1, resetAt: 1_000))) }, "first")
    }
    #expect(stored == "first")
    #expect(try await repo.window(keys[1]) == RateWindow(count: 1, resetAt: 1_000))
    let seen = try await repo.update(keys + ["absent"], now: 200) { windows in
      (
        [(keys[0], .delete), (keys[1], .store(RateWindow(count: 2, resetAt: 1_000))), ("absent", .keep)],
        windows.keys.sorted()
      )
    }
    #expect(seen == keys.sorted())
    #expect(try await repo.window(keys[0]) == nil)
    #expect(try await repo.window(keys[1]) == RateWindow(count: 2, resetAt: 1_000))
    #expect(try await repo.window("absent") == nil)
    // A throwing decision changes nothing.
    struct Stop: Error {}
    await #expect(throws: Stop.self) {
      try await repo.update(keys, now: 300) { _ in throw Stop() } as Void
    }
    #expect(try await repo.window(keys[1]) == RateWindow(count: 2, resetAt: 1_000))
  }

  @Test(arguments: StoreEngine.all) func concurrentUpdatesDoNotLoseCounts(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let repo = fixture.store.rateLimits
    try await withThrowingTaskGroup(of: Void.self) { group in
      for _ in 0..<20 {
        group.addTask {
          try await repo.update(["k"]) { windows in
            let count = (windows["k"]?.count ?? 0) + 1
            return ([("k", .store(RateWindow(count: count, resetAt: 9)))], ())
          }
        }
      }
      try await group.waitForAll()
    }
    #expect(try await repo.window("k")?.count == 20)
  }
}

@Suite struct CommandCompletionTests {
  let claim = IdempotencyClaim(
    principal: "user:1", key: "cmd-1", method: "POST", path: "/api/v1/commands/execute", requestHash: "h")

  func log(_ device: DeviceRecord) -> NewCommandLog {
    NewCommandLog(
      requestId: "req-1", deviceInternalId: device.id, deviceId: device.deviceId, channel: .power, action: .on,
      origin: .user, issuedAt: 10, expiresAt: 3_010)
  }

  @Test(arguments: StoreEngine.all) func auditRowAndOutcomeLandTogether(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let device = try await fixture.device()
    let repo = fixture.store.idempotency
    guard case .claimed = try await repo.claim(claim, now: 0) else {
      Issue.record("expected a claim")
      return
    }
    let row = log(device)
    let (completed, id) = try await repo.complete(claim, statusCode: 200, responseBody: "{}") { conn in
      try CommandLogRepository.insert(row, now: 10, conn)
    }
    #expect(completed)
    #expect(try await fixture.store.commandLogs.byId(id)?.requestId == "req-1")
    #expect(try await repo.find(principal: "user:1", key: "cmd-1", now: 1)?.statusCode == 200)
    // Completed once: a second completion still records its command, and leaves the stored answer alone.
    let again = try await repo.complete(claim, statusCode: 201, responseBody: "x") { conn in
      try CommandLogRepository.insert(row, now: 10, conn)
    }
    #expect(!again.completed)
    #expect(try await fixture.count("command_logs") == 2)
    #expect(try await repo.find(principal: "user:1", key: "cmd-1", now: 1)?.responseBody == "{}")
  }

  @Test(arguments: StoreEngine.all) func aFailingAuditRowLeavesTheClaimOpen(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let device = try await fixture.device()
    let repo = fixture.store.idempotency
    _ = try await repo.claim(claim, now: 0)
    var broken = log(device)
    broken.deviceInternalId = 999_999
    let row = broken
    await #expect(throws: SQLError.self) {
      try await repo.complete(claim, statusCode: 200, responseBody: "{}") { conn in
        try CommandLogRepository.insert(row, now: 10, conn)
      }
    }
    #expect(try await repo.find(principal: "user:1", key: "cmd-1", now: 1)?.isComplete == false)
    #expect(try await fixture.count("command_logs") == 0)
  }
}

@Suite struct StorePingTests {
  @Test(arguments: StoreEngine.all) func pingAnswersWhileOpenAndFailsOnceClosed(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    try await fixture.store.ping()
    try await fixture.database.close()
    await #expect(throws: (any Error).self) { try await fixture.store.ping() }
  }
}
