import Foundation
import SmartLampCore
import SmartLampStore

/// The fixed-window command limiter of upstream-spec §7.3 on `rate_limit_hits`, counted atomically inside one
/// write transaction (upstream read then wrote, and could exceed the limit under concurrency).
struct CommandRateLimiter: Sendable {
  let database: any SQLDatabase
  let policy: FixedWindowLimit

  init(database: any SQLDatabase, limit: Int, windowSec: Int) {
    self.database = database
    policy = FixedWindowLimit(limit: limit, windowMs: Int64(max(windowSec, 1)) * 1000)
  }

  /// Counts one hit for `identifier` (e.g. `user:7:127.0.0.1`) in bucket `command_execute`.
  func hit(identifier: String, now: Int64 = Timestamp.nowMillis()) async throws -> RateLimitDecision {
    let policy = self.policy
    // A disabled limiter answers without touching the database.
    guard policy.limit > 0 else { return policy.hit(nil, now: now).1 }
    let key = Self.sanitise("command_execute") + ":" + Self.sanitise(identifier)
    return try await database.write { db in
      let row = try db.queryOne(
        "SELECT request_count, reset_at FROM rate_limit_hits WHERE rate_key = ?" + db.dialect.lockForUpdate,
        [.text(key)])
      let current = try row.map { RateWindow(count: try $0.int("request_count"), resetAt: try $0.int64("reset_at")) }
      let (change, decision) = policy.hit(current, now: now)
      let iso = Timestamp.iso(now)
      switch change {
      case .keep: break
      case .delete: try db.execute("DELETE FROM rate_limit_hits WHERE rate_key = ?", [.text(key)])
      case .store(let window):
        try db.execute(
          db.dialect.upsert(
            into: "rate_limit_hits", columns: ["rate_key", "request_count", "reset_at", "created_at", "updated_at"],
            conflictColumns: ["rate_key"], updateColumns: ["request_count", "reset_at", "updated_at"]),
          [.text(key), .int64(Int64(window.count)), .int64(window.resetAt), .text(iso), .text(iso)])
      }
      return decision
    }
  }

  /// Every character outside `[A-Za-z0-9:._-]` becomes `_` (upstream-spec §7.2).
  static func sanitise(_ text: String) -> String {
    String(
      text.trimmingCharacters(in: .whitespaces).map { character in
        character.isASCII && (character.isLetter || character.isNumber || ":._-".contains(character))
          ? character : "_"
      })
  }
}
