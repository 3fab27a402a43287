import SmartLampCore
import SmartLampStore

// MARK: rate limits (`rate_limit_hits`)
extension AccountsStore {
  /// The stored window of `key`; inside a write transaction the row stays locked until it ends.
  static func rateWindow(key: String, in conn: any SQLConnection) throws -> RateWindow? {
    try conn.queryOne(
      "SELECT request_count, reset_at FROM rate_limit_hits WHERE rate_key = ?" + conn.dialect.lockForUpdate,
      [.text(key)]
    ).map { RateWindow(count: try $0.int("request_count"), resetAt: try $0.int64("reset_at")) }
  }

  static func apply(_ change: RateWindowChange, key: String, in conn: any SQLConnection) throws {
    switch change {
    case .keep: return
    case .delete: try conn.execute("DELETE FROM rate_limit_hits WHERE rate_key = ?", [.text(key)])
    case .store(let window):
      let now = StoreTime.nowISO()
      try conn.execute(
        conn.dialect.upsert(
          into: "rate_limit_hits", columns: ["rate_key", "request_count", "reset_at", "created_at", "updated_at"],
          conflictColumns: ["rate_key"], updateColumns: ["request_count", "reset_at", "updated_at"]),
        [.text(key), .int64(Int64(window.count)), .int64(window.resetAt), .text(now), .text(now)])
    }
  }

  static func purgeRateLimits(now: Int64, in conn: any SQLConnection) throws -> Int {
    try conn.execute("DELETE FROM rate_limit_hits WHERE reset_at <= ?", [.int64(now)]).rowsAffected
  }
}
