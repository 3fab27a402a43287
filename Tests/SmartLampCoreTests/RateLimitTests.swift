import SmartLampCore
import Testing

@Suite struct FixedWindowTests {
  let limit = FixedWindowLimit(limit: 3, windowMs: 60_000)

  @Test func countsUpToTheLimitThenDenies() {
    var window: RateWindow?
    for expectedRemaining in [2, 1, 0] {
      let (change, decision) = limit.hit(window, now: 1_000)
      #expect(decision.allowed)
      #expect(decision.remaining == expectedRemaining)
      #expect(decision.resetAt == 61_000)
      guard case .store(let stored) = change else {
        Issue.record("expected store")
        return
      }
      window = stored
    }
    let (change, denied) = limit.hit(window, now: 30_500)
    #expect(change == .keep)
    #expect(!denied.allowed)
    #expect(denied.retryAfterSec == 31)
    #expect(window?.count == 3)
  }

  @Test func anExpiredWindowStartsOver() {
    let (change, decision) = limit.hit(RateWindow(count: 3, resetAt: 5_000), now: 5_000)
    #expect(change == .store(RateWindow(count: 1, resetAt: 65_000)))
    #expect(decision.allowed)
    #expect(decision.remaining == 2)
  }

  @Test func aNonPositiveLimitAlwaysAllows() {
    let (change, decision) = FixedWindowLimit(limit: 0, windowMs: 1).hit(RateWindow(count: 99, resetAt: .max), now: 0)
    #expect(change == .keep)
    #expect(decision.allowed)
  }

  @Test func retryAfterIsAtLeastOneSecond() {
    #expect(RateLimitDecision.retryAfterSeconds(resetAt: 1_000, now: 1_000) == 1)
    #expect(RateLimitDecision.retryAfterSeconds(resetAt: 1_001, now: 1_000) == 1)
    #expect(RateLimitDecision.retryAfterSeconds(resetAt: 2_001, now: 1_000) == 2)
    #expect(RateLimitDecision.retryAfterSeconds(resetAt: 0, now: 1_000) == 1)
  }
}

@Suite struct LoginBackoffTests {
  /// UPSTREAM §7.4's example: limit 2, base 5, factor 3, max 60.
  let policy = LoginBackoffPolicy(limit: 2, windowSec: 60, backoffBaseSec: 5, backoffFactor: 3, backoffMaxSec: 60)

  func stored(_ change: RateWindowChange, else current: RateWindow?) -> RateWindow? {
    switch change {
    case .keep: current
    case .delete: nil
    case .store(let w): w
    }
  }

  @Test func upstreamExample() {
    var window: RateWindow?
    var now: Int64 = 0
    for _ in 0..<2 {
      let (checkChange, check) = policy.check(window, now: now)
      #expect(check.allowed)
      window = stored(checkChange, else: window)
      let (change, failure) = policy.recordFailure(window, now: now)
      #expect(failure.allowed)
      window = stored(change, else: window)
      now += 1_000
    }
    // 3rd attempt → 429 Retry-After 5.
    var (change, decision) = policy.check(window, now: now)
    #expect(!decision.allowed)
    #expect(decision.retryAfterSec == 5)
    window = stored(change, else: window)
    // 4th, still blocked → 429 Retry-After 15.
    now += 1_000
    (change, decision) = policy.check(window, now: now)
    #expect(decision.retryAfterSec == 15)
    window = stored(change, else: window)
    // After expiry the next attempt starts from zero.
    now += 15_000
    (change, decision) = policy.check(window, now: now)
    #expect(decision.allowed)
    #expect(decision.remaining == 2)
    #expect(change == .delete)
  }

  @Test func defaultsMatchUpstream() {
    let p = LoginBackoffPolicy.default
    #expect(p.limit == 8)
    #expect(p.windowSec == 60)
    #expect((1...7).map { p.backoffSeconds(attemptsBeyondLimit: $0) } == [30, 60, 120, 240, 480, 900, 900])
  }

  @Test func ninthWrongPasswordWithinAMinuteIsRefused() {
    let p = LoginBackoffPolicy.default
    var window: RateWindow?
    for attempt in 1...8 {
      let (_, check) = p.check(window, now: Int64(attempt))
      #expect(check.allowed)
      let (change, failure) = p.recordFailure(window, now: Int64(attempt))
      #expect(failure.allowed)
      window = stored(change, else: window)
    }
    let (_, ninth) = p.check(window, now: 9)
    #expect(!ninth.allowed)
    #expect(ninth.retryAfterSec == 30)
  }

  @Test func failureBeyondTheLimitBacksOff() {
    let (change, decision) = policy.recordFailure(RateWindow(count: 2, resetAt: 10_000), now: 0)
    #expect(!decision.allowed)
    #expect(decision.retryAfterSec == 5)
    #expect(change == .store(RateWindow(count: 3, resetAt: 5_000)))
  }

  @Test func failureAfterExpiryStartsFromOne() {
    let (change, decision) = policy.recordFailure(RateWindow(count: 7, resetAt: 10), now: 10)
    #expect(decision.allowed)
    #expect(change == .store(RateWindow(count: 1, resetAt: 60_010)))
  }

  @Test func fractionalFactorAndHugeExponents() {
    let p = LoginBackoffPolicy(limit: 1, windowSec: 60, backoffBaseSec: 1, backoffFactor: 1.5, backoffMaxSec: 900)
    #expect(p.backoffSeconds(attemptsBeyondLimit: 2) == 2)
    #expect(p.backoffSeconds(attemptsBeyondLimit: 10_000) == 900)
    #expect(p.backoffSeconds(attemptsBeyondLimit: 0) == 1)
  }
}

@Suite struct RateLimitKeyTests {
  @Test func sanitisesLikeUpstream() {
    #expect(RateLimitKey.make(bucket: "auth_login", identifier: " 10.0.0.1 ") == "auth_login:10.0.0.1")
    #expect(RateLimitKey.make(bucket: "command_execute", identifier: "user:7:::1") == "command_execute:user:7:::1")
    #expect(RateLimitKey.make(bucket: "b", identifier: "a b/ü💡") == "b:a_b___")
  }
}
