import SmartLampCore

/// The two limiters of UPSTREAM §7.3–7.4 on `rate_limit_hits`. Each call is one transaction that reads and
/// writes the row (no read-then-write race); the arithmetic is SmartLampCore's.
public struct RateLimitRepository: Sendable {
  public let database: any SQLDatabase

  public init(database: any SQLDatabase) { self.database = database }

  /// One request against a fixed window (commands).
  public func hit(_ key: String, limit: FixedWindowLimit, now: Int64 = Timestamp.nowMillis()) async throws
    -> RateLimitDecision
  {
    guard limit.limit > 0 else { return limit.hit(nil, now: now).1 }
    return try await apply(key, now: now) { limit.hit($0, now: now) }
  }

  /// The login check before credentials are examined.
  public func loginCheck(_ key: String, policy: LoginBackoffPolicy, now: Int64 = Timestamp.nowMillis()) async throws
    -> RateLimitDecision
  {
    try await apply(key, now: now) { policy.check($0, now: now) }
  }

  /// Records a failed login.
  public func loginRecordFailure(
    _ key: String, policy: LoginBackoffPolicy, now: Int64 = Timestamp.nowMillis()
  ) async throws -> RateLimitDecision {
    try await apply(key, now: now) { policy.recordFailure($0, now: now) }
  }

  /// A successful login forgets the failures.
  public func loginReset(_ key: String) async throws {
    try await database.write { conn in
      try conn.execute("DELETE FROM rate_limit_hits WHERE rate_key = ?", [.text(key)])
    }
  }

  /// Several windows changed together (the login limiter's per-IP and per-account rows): reads the windows of
  /// `keys` (rows locked until the transaction ends), lets `decide` — pure, no I/O — choose a change per key and a
  /// result, and applies the changes in the order given, all in one transaction, so concurrent callers cannot
  /// slip past a count.
  public func update<T: Sendable>(
    _ keys: [String], now: Int64 = Timestamp.nowMillis(),
    _ decide: @escaping @Sendable ([String: RateWindow]) throws -> (changes: [(String, RateWindowChange)], result: T)
  ) async throws -> T {
    try await database.write { conn in
      var windows: [String: RateWindow] = [:]
      var placeholders: Set<String> = []
      let iso = Timestamp.iso(now)
      // Every row exists and is locked before deciding: a missing row cannot be locked (no gap locks at READ
      // COMMITTED), so two first failures would both read "no window" and one count would be lost.
      for key in keys {
        let (row, placeholder) = try Self.lockedRow(key, iso: iso, on: conn)
        if placeholder { placeholders.insert(key) }
        let window = RateWindow(count: try row.int("request_count"), resetAt: try row.int64("reset_at"))
        if !(window.count == 0 && window.resetAt == 0) { windows[key] = window }
      }
      let (changes, result) = try decide(windows)
      var emptyPlaceholders = placeholders
      for (key, change) in changes {
        emptyPlaceholders.remove(key)
        switch change {
        case .keep: if placeholders.contains(key) { emptyPlaceholders.insert(key) }
        case .delete: try conn.execute("DELETE FROM rate_limit_hits WHERE rate_key = ?", [.text(key)])
        case .store(let window):
          try conn.execute(
            conn.dialect.upsert(
              into: "rate_limit_hits", columns: ["rate_key", "request_count", "reset_at", "created_at", "updated_at"],
              conflictColumns: ["rate_key"], updateColumns: ["request_count", "reset_at", "updated_at"]),
            [.text(key), .int64(Int64(window.count)), .int64(window.resetAt), .text(iso), .text(iso)])
        }
      }
      for key in emptyPlaceholders { try conn.execute("DELETE FROM rate_limit_hits WHERE rate_key = ?", [.text(key)]) }
      return result
    }
  }

  /// The stored window, if any (for headers and tests).
  public func window(_ key: String) async throws -> RateWindow? {
    try await database.read { conn in
      try conn.queryOne("SELECT request_count, reset_at FROM rate_limit_hits WHERE rate_key = ?", [.text(key)]).map {
        RateWindow(count: try $0.int("request_count"), resetAt: try $0.int64("reset_at"))
      }
    }
  }

  /// Deletes windows that ended; returns how many.
  @discardableResult
  public func purgeExpired(now: Int64 = Timestamp.nowMillis()) async throws -> Int {
    try await database.write { conn in
      try conn.execute("DELETE FROM rate_limit_hits WHERE reset_at <= ?", [.int64(now)]).rowsAffected
    }
  }

  private func apply(
    _ key: String, now: Int64, _ transition: @escaping @Sendable (RateWindow?) -> (RateWindowChange, RateLimitDecision)
  ) async throws -> RateLimitDecision {
    try await database.write { conn in try Self.apply(key, now: now, on: conn, transition) }
  }

  /// One fixed-window hit inside a transaction the caller runs (the idempotency claim counts its hit this way).
  public static func hit(_ key: String, limit: FixedWindowLimit, now: Int64, on conn: any SQLConnection) throws
    -> RateLimitDecision
  {
    guard limit.limit > 0 else { return limit.hit(nil, now: now).1 }
    return try apply(key, now: now, on: conn) { limit.hit($0, now: now) }
  }

  /// The key's row, locked until the transaction ends; `placeholder` when this call had to create it (count 0,
  /// reset 0, which reads as "no window"). The row is locked first and only created when missing: an existing
  /// row is then taken with an exclusive lock at once (INSERT IGNORE on an existing key would take a shared lock,
  /// and two callers upgrading shared locks deadlock on InnoDB); creating it first makes concurrent first hits
  /// serialise on the new row instead of racing to insert.
  static func lockedRow(_ key: String, iso: String, on conn: any SQLConnection) throws -> (SQLRow, placeholder: Bool) {
    let select = "SELECT request_count, reset_at FROM rate_limit_hits WHERE rate_key = ?" + conn.dialect.lockForUpdate
    if let row = try conn.queryOne(select, [.text(key)]) { return (row, false) }
    let placeholder =
      try conn.execute(
        conn.dialect.insertIgnore(
          into: "rate_limit_hits", columns: ["rate_key", "request_count", "reset_at", "created_at", "updated_at"]),
        [.text(key), 0, 0, .text(iso), .text(iso)]
      ).rowsAffected == 1
    guard let row = try conn.queryOne(select, [.text(key)]) else {
      throw SQLError.engine(code: -1, message: "rate limit row vanished inside its transaction")
    }
    return (row, placeholder)
  }

  static func apply(
    _ key: String, now: Int64, on conn: any SQLConnection,
    _ transition: (RateWindow?) -> (RateWindowChange, RateLimitDecision)
  ) throws -> RateLimitDecision {
    do {
      let iso = Timestamp.iso(now)
      let (row, placeholder) = try lockedRow(key, iso: iso, on: conn)
      let stored = RateWindow(count: try row.int("request_count"), resetAt: try row.int64("reset_at"))
      let current: RateWindow? = placeholder || (stored.count == 0 && stored.resetAt == 0) ? nil : stored
      let (change, decision) = transition(current)
      switch change {
      case .store(let window):
        try conn.execute(
          "UPDATE rate_limit_hits SET request_count = ?, reset_at = ?, updated_at = ? WHERE rate_key = ?",
          [.int64(Int64(window.count)), .int64(window.resetAt), .text(iso), .text(key)])
      case .delete:
        try conn.execute("DELETE FROM rate_limit_hits WHERE rate_key = ?", [.text(key)])
      case .keep:
        if placeholder { try conn.execute("DELETE FROM rate_limit_hits WHERE rate_key = ?", [.text(key)]) }
      }
      return decision
    }
  }
}
