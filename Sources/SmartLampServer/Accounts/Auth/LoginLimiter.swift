import HTTPTypes
import Hummingbird
import SmartLampCore
import SmartLampStore

/// The login limiter (UPSTREAM §7.4) per client IP **and** per account: two `rate_limit_hits` rows,
/// `auth_login:<ip>` and `auth_login_account:<email>`, read and changed in one write transaction, so concurrent
/// attempts cannot slip past the count.
struct LoginLimiter: Sendable {
  let repository: RateLimitRepository
  let policy: LoginBackoffPolicy

  init(database: any SQLDatabase, configuration: Configuration) {
    repository = RateLimitRepository(database: database)
    policy = LoginBackoffPolicy(
      limit: configuration.loginRateLimitMax, windowSec: Double(configuration.loginRateLimitWindowSec),
      backoffBaseSec: Double(configuration.loginBackoffBaseSec), backoffFactor: configuration.loginBackoffFactor,
      backoffMaxSec: Double(configuration.loginBackoffMaxSec))
  }

  static func keys(ip: String, email: String?) -> [String] {
    var keys = ["auth_login:" + sanitise(ip)]
    if let email { keys.append("auth_login_account:" + sanitise(email.lowercased())) }
    return keys
  }

  /// Upstream's key rule: trimmed, every character outside `[A-Za-z0-9:._-]` becomes `_`; bounded in length.
  static func sanitise(_ text: String) -> String {
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:._-")
    return String(text.trimmingCharacters(in: .whitespaces).prefix(200).map { allowed.contains($0) ? $0 : "_" })
  }

  /// Before credentials are examined. Denied when any key is blocked.
  func check(keys: [String]) async throws -> RateLimitDecision {
    let policy = self.policy
    let now = Timestamp.nowMillis()
    return try await repository.update(keys, now: now) { windows in
      var changes: [(String, RateWindowChange)] = []
      var decisions: [RateLimitDecision] = []
      for key in keys {
        let (change, decision) = policy.check(windows[key], now: now)
        changes.append((key, change))
        decisions.append(decision)
      }
      return (changes, Self.strictest(decisions))
    }
  }

  /// Before credentials are examined: refuses a blocked client, otherwise counts the attempt as a failure in the
  /// same transaction. Counting first means a burst of concurrent attempts gets exactly `limit` password checks;
  /// a success then deletes the rows (``reset(keys:)``).
  func reserve(keys: [String]) async throws -> RateLimitDecision {
    let policy = self.policy
    let now = Timestamp.nowMillis()
    return try await repository.update(keys, now: now) { stored in
      var windows: [String: RateWindow?] = [:]
      for key in keys {
        let current = stored[key]
        let (change, decision) = policy.check(current, now: now)
        if !decision.allowed { return ([(key, change)], decision) }
        windows[key] = change == .delete ? nil : current
      }
      var changes: [(String, RateWindowChange)] = []
      var decisions: [RateLimitDecision] = []
      for key in keys {
        let (change, decision) = policy.recordFailure(windows[key] ?? nil, now: now)
        changes.append((key, change))
        decisions.append(decision)
      }
      return (changes, Self.strictest(decisions))
    }
  }

  /// After a successful login: the counters start over.
  func reset(keys: [String]) async throws {
    try await repository.update(keys) { _ in (keys.map { ($0, .delete) }, ()) }
  }

  /// A denial wins (the longest wait); otherwise the fewest remaining attempts.
  static func strictest(_ decisions: [RateLimitDecision]) -> RateLimitDecision {
    let denied = decisions.filter { !$0.allowed }
    if let worst = denied.max(by: { ($0.retryAfterSec ?? 0) < ($1.retryAfterSec ?? 0) }) { return worst }
    return decisions.min(by: { $0.remaining < $1.remaining })
      ?? RateLimitDecision(allowed: true, limit: 0, remaining: 0, resetAt: 0, retryAfterSec: nil)
  }
}

extension RateLimitDecision {
  /// `X-RateLimit-*` always, `Retry-After` when denied (UPSTREAM §7.5).
  var headers: HTTPFields {
    var fields = HTTPFields()
    fields[.xRateLimitLimit] = String(limit)
    fields[.xRateLimitRemaining] = String(max(0, remaining))
    let resetMillis = resetAt > 0 ? resetAt : Timestamp.nowMillis()
    fields[.xRateLimitReset] = String((resetMillis + 999) / 1000)
    if let retryAfterSec, !allowed { fields[.retryAfter] = String(retryAfterSec) }
    return fields
  }

  var error: APIError {
    APIError(
      .tooManyRequests, code: "RATE_LIMITED", message: "Too many login attempts",
      details: ["retryAfterSec": .int(retryAfterSec ?? 1)], headers: headers)
  }
}
