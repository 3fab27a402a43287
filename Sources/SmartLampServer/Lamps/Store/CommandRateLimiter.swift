import Foundation
import SmartLampCore
import SmartLampStore

/// The fixed-window command limiter of UPSTREAM §7.3 on ``RateLimitRepository``, counted atomically inside
/// one write transaction (upstream read then wrote, and could exceed the limit under concurrency).
struct CommandRateLimiter: Sendable {
  let repository: RateLimitRepository
  let policy: FixedWindowLimit

  init(repository: RateLimitRepository, limit: Int, windowSec: Int) {
    self.repository = repository
    policy = FixedWindowLimit(limit: limit, windowMs: Int64(max(windowSec, 1)) * 1000)
  }

  /// Counts one hit for `identifier` (e.g. `user:7:127.0.0.1`) in bucket `command_execute`. A disabled limiter
  /// answers without touching the database.
  func hit(identifier: String, now: Int64 = Timestamp.nowMillis()) async throws -> RateLimitDecision {
    try await repository.hit(key(for: identifier), limit: policy, now: now)
  }

  /// The `rate_limit_hits` key of `identifier`'s window.
  func key(for identifier: String) -> String {
    Self.sanitise("command_execute") + ":" + Self.sanitise(identifier)
  }

  /// Every character outside `[A-Za-z0-9:._-]` becomes `_` (UPSTREAM §7.2).
  static func sanitise(_ text: String) -> String {
    String(
      text.trimmingCharacters(in: .whitespaces).map { character in
        character.isASCII && (character.isLetter || character.isNumber || ":._-".contains(character))
          ? character : "_"
      })
  }
}
