import SmartLampCore
import SmartLampStore

extension CommandRateLimiter {
  /// One hit of the command limit for a request by `principal` from `clientIP` (UPSTREAM §7.3: per user or
  /// client and address), for the idempotency claim's transaction: one write before the publish. Throws the
  /// `429 RATE_LIMITED` answer when the limit is reached (nothing is claimed then).
  func counting(principal: Principal, clientIP: String) -> Idempotency.Also<RateLimitDecision> {
    let identifier =
      switch principal {
      case .user(let user): "user:\(user.id):\(clientIP)"
      case .apiKey(let key): "client:\(key.clientId):\(clientIP)"
      }
    let key = key(for: identifier)
    let policy = policy
    return { conn in
      let decision = try RateLimitRepository.hit(key, limit: policy, now: Timestamp.nowMillis(), on: conn)
      guard decision.allowed else {
        throw APIError(
          .tooManyRequests, code: "RATE_LIMITED", message: "Too many command requests",
          details: ["retryAfterSec": .int(decision.retryAfterSec ?? 1)],
          headers: CommandRoutes.rateLimitHeaders(decision))
      }
      return decision
    }
  }
}
