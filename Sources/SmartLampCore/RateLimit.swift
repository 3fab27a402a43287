import Foundation

// The arithmetic of the two limiters of UPSTREAM §7.3–7.4, as pure transitions over a stored window.
// The store applies them inside one transaction so counting is atomic.

/// A stored `rate_limit_hits` row: the count in the current window and when the window (or backoff) ends.
public struct RateWindow: Sendable, Hashable {
  public var count: Int
  /// Epoch milliseconds.
  public var resetAt: Int64

  public init(count: Int, resetAt: Int64) {
    self.count = count
    self.resetAt = resetAt
  }

  public func isExpired(now: Int64) -> Bool { resetAt <= now }
}

/// What a limiter answered; the server turns it into `X-RateLimit-*` and `Retry-After` headers.
public struct RateLimitDecision: Sendable, Hashable {
  public var allowed: Bool
  public var limit: Int
  public var remaining: Int
  /// Epoch milliseconds; 0 when nothing is stored.
  public var resetAt: Int64
  /// Seconds to wait, set when denied.
  public var retryAfterSec: Int?

  public init(allowed: Bool, limit: Int, remaining: Int, resetAt: Int64, retryAfterSec: Int?) {
    self.allowed = allowed
    self.limit = limit
    self.remaining = remaining
    self.resetAt = resetAt
    self.retryAfterSec = retryAfterSec
  }

  /// `max(1, ceil((resetAt − now) / 1000))`.
  public static func retryAfterSeconds(resetAt: Int64, now: Int64) -> Int {
    let millis = max(0, resetAt - now)
    return max(1, Int((millis + 999) / 1000))
  }
}

/// What to do with the stored row after a transition.
public enum RateWindowChange: Sendable, Hashable {
  case keep
  case store(RateWindow)
  case delete
}

/// The fixed-window limiter of UPSTREAM §7.3 (commands).
public struct FixedWindowLimit: Sendable, Hashable {
  public var limit: Int
  public var windowMs: Int64

  public init(limit: Int, windowMs: Int64) {
    self.limit = limit
    self.windowMs = windowMs
  }

  public func hit(_ current: RateWindow?, now: Int64) -> (RateWindowChange, RateLimitDecision) {
    guard limit > 0 else {
      return (.keep, RateLimitDecision(allowed: true, limit: limit, remaining: 0, resetAt: 0, retryAfterSec: nil))
    }
    guard let current, !current.isExpired(now: now) else {
      let window = RateWindow(count: 1, resetAt: now + windowMs)
      return (
        .store(window),
        RateLimitDecision(
          allowed: true, limit: limit, remaining: limit - 1, resetAt: window.resetAt, retryAfterSec: nil)
      )
    }
    if current.count >= limit {
      return (
        .keep,
        RateLimitDecision(
          allowed: false, limit: limit, remaining: 0, resetAt: current.resetAt,
          retryAfterSec: RateLimitDecision.retryAfterSeconds(resetAt: current.resetAt, now: now))
      )
    }
    let next = RateWindow(count: current.count + 1, resetAt: current.resetAt)
    return (
      .store(next),
      RateLimitDecision(
        allowed: true, limit: limit, remaining: limit - next.count, resetAt: next.resetAt, retryAfterSec: nil)
    )
  }
}

/// The login limiter with exponential backoff of UPSTREAM §7.4.
public struct LoginBackoffPolicy: Sendable, Hashable {
  public var limit: Int
  public var windowSec: Double
  public var backoffBaseSec: Double
  public var backoffFactor: Double
  public var backoffMaxSec: Double

  /// Upstream's defaults: 8 per 60 s, then 30 s × 2ⁿ⁻¹ up to 900 s.
  public static let `default` = LoginBackoffPolicy(
    limit: 8, windowSec: 60, backoffBaseSec: 30, backoffFactor: 2, backoffMaxSec: 900)

  public init(limit: Int, windowSec: Double, backoffBaseSec: Double, backoffFactor: Double, backoffMaxSec: Double) {
    self.limit = limit
    self.windowSec = windowSec
    self.backoffBaseSec = backoffBaseSec
    self.backoffFactor = backoffFactor
    self.backoffMaxSec = backoffMaxSec
  }

  /// `ceil(min(maxSec, baseSec × factor^(n−1)))`, at least 1, for the n-th attempt beyond the limit (n ≥ 1).
  public func backoffSeconds(attemptsBeyondLimit n: Int) -> Int {
    let exponent = Double(max(n, 1) - 1)
    let raw = min(backoffMaxSec, backoffBaseSec * pow(backoffFactor, exponent))
    guard raw.isFinite else { return max(1, Int(backoffMaxSec.rounded(.up))) }
    return max(1, Int(raw.rounded(.up)))
  }

  private var windowMs: Int64 { Int64((windowSec * 1000).rounded()) }

  /// Before credentials are examined, on every attempt.
  public func check(_ current: RateWindow?, now: Int64) -> (RateWindowChange, RateLimitDecision) {
    guard let current else {
      return (.keep, RateLimitDecision(allowed: true, limit: limit, remaining: limit, resetAt: 0, retryAfterSec: nil))
    }
    if current.isExpired(now: now) {
      return (
        .delete, RateLimitDecision(allowed: true, limit: limit, remaining: limit, resetAt: 0, retryAfterSec: nil)
      )
    }
    if current.count >= limit {
      let count = current.count + 1
      let seconds = backoffSeconds(attemptsBeyondLimit: count - limit)
      let window = RateWindow(count: count, resetAt: now + Int64(seconds) * 1000)
      return (
        .store(window),
        RateLimitDecision(allowed: false, limit: limit, remaining: 0, resetAt: window.resetAt, retryAfterSec: seconds)
      )
    }
    return (
      .keep,
      RateLimitDecision(
        allowed: true, limit: limit, remaining: limit - current.count, resetAt: current.resetAt, retryAfterSec: nil)
    )
  }

  /// After a failed attempt (unknown email, inactive user, wrong password).
  public func recordFailure(_ current: RateWindow?, now: Int64) -> (RateWindowChange, RateLimitDecision) {
    let previous = current.flatMap { $0.isExpired(now: now) ? nil : $0.count } ?? 0
    let count = previous + 1
    if count > limit {
      let seconds = backoffSeconds(attemptsBeyondLimit: count - limit)
      let window = RateWindow(count: count, resetAt: now + Int64(seconds) * 1000)
      return (
        .store(window),
        RateLimitDecision(allowed: false, limit: limit, remaining: 0, resetAt: window.resetAt, retryAfterSec: seconds)
      )
    }
    let window = RateWindow(count: count, resetAt: now + windowMs)
    return (
      .store(window),
      RateLimitDecision(
        allowed: true, limit: limit, remaining: limit - count, resetAt: window.resetAt, retryAfterSec: nil)
    )
  }
}

/// The `rate_limit_hits.rate_key` of a bucket and identifier: `<bucket>:<identifier>`, each part trimmed and every
/// character outside `[A-Za-z0-9:._-]` replaced by `_` (UPSTREAM §7.2).
public enum RateLimitKey {
  public static func make(bucket: String, identifier: String) -> String {
    "\(sanitize(bucket)):\(sanitize(identifier))"
  }

  static func sanitize(_ text: String) -> String {
    String(
      text.trimmingCharacters(in: .whitespacesAndNewlines).map { character -> Character in
        guard character.isASCII, let ascii = character.asciiValue else { return "_" }
        switch ascii {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
          UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "_"),
          UInt8(ascii: "-"):
          return character
        default: return "_"
        }
      })
  }
}
