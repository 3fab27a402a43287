import SmartLampStore

/// A stored idempotency record (CONTRACT §6). `statusCode` and `responseBody` are nil while the first request runs.
struct IdempotencyRecord: Sendable, Hashable {
  var method: String
  var path: String
  var requestHash: String
  var statusCode: Int?
  var responseBody: String?
}

/// SQL for `idempotency_records`, keyed by (principal, key): claim before the side effect, complete after it.
struct IdempotencyStore: Sendable {
  let database: any SQLDatabase
  /// How long a record lives (24 h).
  var retentionMs: Int64 = 24 * 3600 * 1000

  enum Claim: Sendable, Hashable {
    /// The caller owns the key now and must ``complete`` or ``release`` it.
    case claimed
    /// The key exists.
    case existing(IdempotencyRecord)
  }

  /// Inserts a running record unless one exists (an expired one is replaced).
  func claim(principal: String, key: String, method: String, path: String, hash: String, now: Int64) async throws
    -> Claim
  {
    let retention = retentionMs
    return try await database.write { db in
      try db.execute(
        "DELETE FROM idempotency_records WHERE principal = ? AND idempotency_key = ? AND expires_at <= ?",
        [.text(principal), .text(key), .int64(now)])
      let inserted = try db.execute(
        db.dialect.insertIgnore(
          into: "idempotency_records",
          columns: [
            "principal", "idempotency_key", "method", "path", "route", "request_hash", "created_at", "expires_at",
          ]),
        [
          .text(principal), .text(key), .text(method), .text(path), .text("\(method) \(path)"), .text(hash),
          .text(Timestamp.iso(now)), .int64(now + retention),
        ])
      if inserted.rowsAffected == 1 { return .claimed }
      guard
        let row = try db.queryOne(
          """
          SELECT method, path, request_hash, status_code, response_body FROM idempotency_records
          WHERE principal = ? AND idempotency_key = ?
          """, [.text(principal), .text(key)])
      else { return .claimed }
      return .existing(
        IdempotencyRecord(
          method: try row.string("method"), path: try row.string("path"), requestHash: try row.string("request_hash"),
          statusCode: try row.optionalInt("status_code"), responseBody: try row.optionalString("response_body")))
    }
  }

  /// Reads a record again (while waiting for a running first request); nil when it was released.
  func find(principal: String, key: String) async throws -> IdempotencyRecord? {
    try await database.read { db in
      try db.queryOne(
        """
        SELECT method, path, request_hash, status_code, response_body FROM idempotency_records
        WHERE principal = ? AND idempotency_key = ?
        """, [.text(principal), .text(key)]
      ).map { row in
        IdempotencyRecord(
          method: try row.string("method"), path: try row.string("path"), requestHash: try row.string("request_hash"),
          statusCode: try row.optionalInt("status_code"), responseBody: try row.optionalString("response_body"))
      }
    }
  }

  /// Stores the outcome of the first request.
  func complete(principal: String, key: String, status: Int, body: String) async throws {
    _ = try await database.write { db in
      try db.execute(
        "UPDATE idempotency_records SET status_code = ?, response_body = ? WHERE principal = ? AND idempotency_key = ?",
        [.int64(Int64(status)), .text(body), .text(principal), .text(key)])
    }
  }

  /// Forgets a claim whose request failed with a server error, so a retry runs again.
  func release(principal: String, key: String) async throws {
    _ = try await database.write { db in
      try db.execute(
        "DELETE FROM idempotency_records WHERE principal = ? AND idempotency_key = ? AND status_code IS NULL",
        [.text(principal), .text(key)])
    }
  }

  /// Deletes expired records; returns how many.
  func purgeExpired(now: Int64) async throws -> Int {
    try await database.write { db in
      try db.execute("DELETE FROM idempotency_records WHERE expires_at <= ?", [.int64(now)]).rowsAffected
    }
  }
}
