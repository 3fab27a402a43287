import Foundation
import SmartLampCore

/// An `idempotency_records` row. `statusCode`/`responseBody` are nil while the first request is still running.
public struct IdempotencyRecord: Sendable, Hashable {
  public var id: Int64
  public var principal: String
  public var key: String
  public var method: String
  public var path: String
  public var route: String
  public var requestHash: String
  public var statusCode: Int?
  public var responseBody: String?
  public var createdAt: String
  public var expiresAt: Int64

  public var isComplete: Bool { statusCode != nil }

  init(row: SQLRow) throws {
    id = try row.int64("id")
    principal = try row.string("principal")
    key = try row.string("idempotency_key")
    method = try row.string("method")
    path = try row.string("path")
    route = try row.string("route")
    requestHash = try row.string("request_hash")
    statusCode = try row.optionalInt("status_code")
    responseBody = try row.optionalString("response_body")
    createdAt = try row.string("created_at")
    expiresAt = try row.int64("expires_at")
  }
}

/// What a request claims: the key under its principal, and what the request was.
public struct IdempotencyClaim: Sendable, Hashable {
  public var principal: String
  public var key: String
  public var method: String
  /// The path with ids.
  public var path: String
  /// The route label (defaults to the path).
  public var route: String
  /// Lowercase hex SHA-256 of the body.
  public var requestHash: String

  public init(principal: String, key: String, method: String, path: String, route: String? = nil, requestHash: String) {
    self.principal = principal
    self.key = key
    self.method = method
    self.path = path
    self.route = route ?? path
    self.requestHash = requestHash
  }
}

public enum IdempotencyClaimOutcome: Sendable, Hashable {
  /// We own the key: run the side effect, then ``IdempotencyRepository/complete(_:statusCode:responseBody:)`` or
  /// ``IdempotencyRepository/release(_:)``.
  case claimed(IdempotencyRecord)
  /// Someone holds it (in progress when not complete); the caller compares method/path/hash and replays or refuses.
  case existing(IdempotencyRecord)
}

/// Idempotency records keyed by (principal, key), claimed before the side effect (CONTRACT §6).
public struct IdempotencyRepository: Sendable {
  public let database: any SQLDatabase

  public init(database: any SQLDatabase) { self.database = database }

  public static let defaultTTLMillis: Int64 = 24 * 60 * 60 * 1000

  static let columns = """
    id, principal, idempotency_key, method, path, route, request_hash, status_code, response_body, created_at, \
    expires_at
    """

  /// Insert-if-absent: exactly one of any number of concurrent claims of the same (principal, key) wins. An
  /// expired record is replaced as if absent.
  public func claim(
    _ claim: IdempotencyClaim, ttlMillis: Int64 = defaultTTLMillis, now: Int64 = Timestamp.nowMillis()
  ) async throws -> IdempotencyClaimOutcome {
    try await database.write { conn in
      let binds: [SQLValue] = [
        .text(claim.principal), .text(claim.key), .text(claim.method), .text(claim.path), .text(claim.route),
        .text(claim.requestHash), .text(Timestamp.iso(now)), .int64(now + ttlMillis),
      ]
      let insert = conn.dialect.insertIgnore(
        into: "idempotency_records",
        columns: [
          "principal", "idempotency_key", "method", "path", "route", "request_hash", "created_at", "expires_at",
        ])
      // An existing record is locked first (InnoDB: an INSERT IGNORE that hits it would take a shared lock, and
      // concurrent claimers upgrading shared locks deadlock); only a missing one is inserted.
      if let existing = try Self.fetch(claim.principal, claim.key, conn, lock: true) {
        guard existing.expiresAt <= now else { return .existing(existing) }
        try conn.execute("DELETE FROM idempotency_records WHERE id = ?", [.int64(existing.id)])
        try conn.execute(insert, binds)
        return .claimed(try Self.fetchRequired(claim.principal, claim.key, conn))
      }
      if try conn.execute(insert, binds).rowsAffected == 1 {
        return .claimed(try Self.fetchRequired(claim.principal, claim.key, conn))
      }
      // Lost to a concurrent claim that committed meanwhile (possible with row locks, not with SQLite's writer).
      return .existing(try Self.fetchRequired(claim.principal, claim.key, conn))
    }
  }

  /// ``claim(_:ttlMillis:now:)`` with the caller's work in the same transaction (a rate limit's hit, say), so a
  /// route writes once before its side effect instead of twice. An existing record answers without running `also`;
  /// when `also` throws, nothing is claimed and its error is thrown. Its value comes back with a new claim.
  public func claim<Extra: Sendable>(
    _ claim: IdempotencyClaim, ttlMillis: Int64 = defaultTTLMillis, now: Int64 = Timestamp.nowMillis(),
    also: @escaping @Sendable (any SQLConnection) throws -> Extra
  ) async throws -> (IdempotencyClaimOutcome, Extra?) {
    try await database.write { conn in
      let existing = try Self.fetch(claim.principal, claim.key, conn, lock: true)
      if let existing, existing.expiresAt > now { return (.existing(existing), nil) }
      let extra = try also(conn)
      if let existing {
        try conn.execute("DELETE FROM idempotency_records WHERE id = ?", [.int64(existing.id)])
      }
      let insert = conn.dialect.insertIgnore(
        into: "idempotency_records",
        columns: [
          "principal", "idempotency_key", "method", "path", "route", "request_hash", "created_at", "expires_at",
        ])
      let inserted =
        try conn.execute(
          insert,
          [
            .text(claim.principal), .text(claim.key), .text(claim.method), .text(claim.path), .text(claim.route),
            .text(claim.requestHash), .text(Timestamp.iso(now)), .int64(now + ttlMillis),
          ]
        ).rowsAffected == 1
      // Lost to a concurrent claim (possible with row locks, not with SQLite's single writer): answer as existing.
      let record = try Self.fetchRequired(claim.principal, claim.key, conn)
      return inserted ? (.claimed(record), extra) : (.existing(record), nil)
    }
  }

  /// Stores the outcome of a claimed request (2xx and 4xx); false when the claim is gone or already complete.
  @discardableResult
  public func complete(_ claim: IdempotencyClaim, statusCode: Int, responseBody: String) async throws -> Bool {
    try await database.write { conn in
      try Self.complete(claim, statusCode: statusCode, responseBody: responseBody, conn)
    }
  }

  /// Stores the outcome with the caller's work in the same transaction (the audit row of the command the request
  /// issued, say: one write after the side effect instead of two). `also` runs even when the claim is gone or
  /// already complete; `completed` says whether the record took the outcome.
  public func complete<Extra: Sendable>(
    _ claim: IdempotencyClaim, statusCode: Int, responseBody: String,
    also: @escaping @Sendable (any SQLConnection) throws -> Extra
  ) async throws -> (completed: Bool, Extra) {
    try await database.write { conn in
      let extra = try also(conn)
      let completed = try Self.complete(claim, statusCode: statusCode, responseBody: responseBody, conn)
      return (completed, extra)
    }
  }

  /// Gives up an unfinished claim (a 5xx: a retry must run again); a completed record is never released.
  @discardableResult
  public func release(_ claim: IdempotencyClaim) async throws -> Bool {
    try await database.write { conn in
      try conn.execute(
        "DELETE FROM idempotency_records WHERE principal = ? AND idempotency_key = ? AND status_code IS NULL",
        [.text(claim.principal), .text(claim.key)]
      ).rowsAffected == 1
    }
  }

  /// The live (unexpired) record of (principal, key).
  public func find(principal: String, key: String, now: Int64 = Timestamp.nowMillis()) async throws
    -> IdempotencyRecord?
  {
    try await database.read { conn in
      try conn.queryOne(
        "SELECT \(Self.columns) FROM idempotency_records WHERE principal = ? AND idempotency_key = ? AND expires_at > ?",
        [.text(principal), .text(key), .int64(now)]
      ).map(IdempotencyRecord.init(row:))
    }
  }

  /// Deletes expired records; returns how many.
  @discardableResult
  public func purgeExpired(now: Int64 = Timestamp.nowMillis()) async throws -> Int {
    try await database.write { conn in
      try conn.execute("DELETE FROM idempotency_records WHERE expires_at <= ?", [.int64(now)]).rowsAffected
    }
  }

  static func complete(_ claim: IdempotencyClaim, statusCode: Int, responseBody: String, _ conn: any SQLConnection)
    throws -> Bool
  {
    try conn.execute(
      """
      UPDATE idempotency_records SET status_code = ?, response_body = ?
      WHERE principal = ? AND idempotency_key = ? AND status_code IS NULL
      """, [.int64(Int64(statusCode)), .text(responseBody), .text(claim.principal), .text(claim.key)]
    ).rowsAffected == 1
  }

  static func fetchRequired(_ principal: String, _ key: String, _ conn: any SQLConnection, lock: Bool = false) throws
    -> IdempotencyRecord
  {
    guard let record = try fetch(principal, key, conn, lock: lock) else {
      throw SQLError.engine(code: -1, message: "idempotency record vanished inside its transaction")
    }
    return record
  }

  static func fetch(_ principal: String, _ key: String, _ conn: any SQLConnection, lock: Bool = false) throws
    -> IdempotencyRecord?
  {
    let sql =
      "SELECT \(columns) FROM idempotency_records WHERE principal = ? AND idempotency_key = ?"
      + (lock ? conn.dialect.lockForUpdate : "")
    return try conn.queryOne(sql, [.text(principal), .text(key)]).map(IdempotencyRecord.init(row:))
  }
}
