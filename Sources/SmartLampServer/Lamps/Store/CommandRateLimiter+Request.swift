import SmartLampCore

extension CommandRateLimiter {
  /// The command limit of one request by `principal` from `clientIP` (upstream-spec §7.3: per user or client and
  /// address), counted in the idempotency claim's transaction: one write before the publish.
  func countedHit(principal: Principal, clientIP: String) -> Idempotency.CountedHit {
    let identifier =
      switch principal {
      case .user(let user): "user:\(user.id):\(clientIP)"
      case .apiKey(let key): "client:\(key.clientId):\(clientIP)"
      }
    return Idempotency.CountedHit(
      key: key(for: identifier), limit: policy,
      alone: { [self] in try await hit(identifier: identifier) },
      refusal: { decision in
        APIError(
          .tooManyRequests, code: "RATE_LIMITED", message: "Too many command requests",
          details: ["retryAfterSec": .int(decision.retryAfterSec ?? 1)],
          headers: CommandRoutes.rateLimitHeaders(decision))
      })
  }
}
