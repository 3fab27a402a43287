import Foundation

/// An `auth_sessions` row: one issued refresh token. Rotation chains rows of one family.
public struct SessionRecord: Sendable, Hashable {
  public var id: Int64
  public var userId: Int64
  public var familyId: String
  public var refreshTokenHash: String
  public var expiresAt: Int64
  public var createdAt: String
  public var updatedAt: String
  public var lastUsedAt: Int64?
  public var rotatedAt: Int64?
  public var revokedAt: Int64?
  public var revokedReason: String?
  public var replacedBySessionId: Int64?
  public var userAgent: String?
  public var ipAddress: String?

  /// Neither rotated nor revoked, and not expired at `now`.
  public func isLive(now: Int64) -> Bool { rotatedAt == nil && revokedAt == nil && expiresAt > now }

  init(row: SQLRow) throws {
    id = try row.int64("id")
    userId = try row.int64("user_id")
    familyId = try row.string("family_id")
    refreshTokenHash = try row.string("refresh_token_hash")
    expiresAt = try row.int64("expires_at")
    createdAt = try row.string("created_at")
    updatedAt = try row.string("updated_at")
    lastUsedAt = try row.optionalInt64("last_used_at")
    rotatedAt = try row.optionalInt64("rotated_at")
    revokedAt = try row.optionalInt64("revoked_at")
    revokedReason = try row.optionalString("revoked_reason")
    replacedBySessionId = try row.optionalInt64("replaced_by_session_id")
    userAgent = try row.optionalString("user_agent")
    ipAddress = try row.optionalString("ip_address")
  }
}

public struct NewSession: Sendable, Hashable {
  public var userId: Int64
  /// SHA-256 hex of the refresh token.
  public var refreshTokenHash: String
  public var expiresAt: Int64
  public var userAgent: String?
  public var ipAddress: String?

  public init(
    userId: Int64, refreshTokenHash: String, expiresAt: Int64, userAgent: String? = nil, ipAddress: String? = nil
  ) {
    self.userId = userId
    self.refreshTokenHash = refreshTokenHash
    self.expiresAt = expiresAt
    self.userAgent = userAgent
    self.ipAddress = ipAddress
  }
}

/// The result of presenting a refresh token's session for rotation.
public enum SessionRotation: Sendable, Hashable {
  /// The old row is marked rotated and `new` continues the family.
  case rotated(old: SessionRecord, new: SessionRecord)
  /// The row was already rotated or revoked: token reuse. The caller revokes the family.
  case alreadyUsed(SessionRecord)
  case notFound
}

/// Login sessions (refresh tokens) with rotation and family revocation (CONTRACT §3).
public struct SessionRepository: Sendable {
  public let database: any SQLDatabase

  public init(database: any SQLDatabase) { self.database = database }

  static let columns = """
    id, user_id, family_id, refresh_token_hash, expires_at, created_at, updated_at, last_used_at, rotated_at, \
    revoked_at, revoked_reason, replaced_by_session_id, user_agent, ip_address
    """

  /// Starts a new family (a login).
  public func create(_ session: NewSession, now: Int64 = Timestamp.nowMillis()) async throws -> SessionRecord {
    try await database.write { conn in
      try Self.insert(session, familyId: UUID().uuidString.lowercased(), now: now, conn)
    }
  }

  public func byId(_ id: Int64) async throws -> SessionRecord? {
    try await database.read { conn in try Self.fetch(id, conn) }
  }

  public func byRefreshHash(_ hash: String) async throws -> SessionRecord? {
    try await database.read { conn in
      try conn.queryOne("SELECT \(Self.columns) FROM auth_sessions WHERE refresh_token_hash = ?", [.text(hash)])
        .map(SessionRecord.init(row:))
    }
  }

  /// Rotates atomically: only a row not yet rotated or revoked is marked rotated (`rotated_at = revoked_at =
  /// last_used_at = now`, `replaced_by_session_id`) and replaced by a new row of the same family; of two
  /// concurrent rotations of one token exactly one wins.
  public func rotate(
    _ sessionId: Int64, newRefreshTokenHash: String, expiresAt: Int64, userAgent: String? = nil,
    ipAddress: String? = nil, now: Int64 = Timestamp.nowMillis()
  ) async throws -> SessionRotation {
    try await database.write { conn in
      guard let old = try Self.fetch(sessionId, conn) else { return .notFound }
      let iso = Timestamp.iso(now)
      let marked = try conn.execute(
        """
        UPDATE auth_sessions SET rotated_at = ?, revoked_at = ?, last_used_at = ?, revoked_reason = 'rotated',
          updated_at = ? WHERE id = ? AND rotated_at IS NULL AND revoked_at IS NULL
        """, [.int64(now), .int64(now), .int64(now), .text(iso), .int64(sessionId)])
      guard marked.rowsAffected == 1 else { return .alreadyUsed(old) }
      let new = try Self.insert(
        NewSession(
          userId: old.userId, refreshTokenHash: newRefreshTokenHash, expiresAt: expiresAt, userAgent: userAgent,
          ipAddress: ipAddress), familyId: old.familyId, now: now, conn)
      try conn.execute(
        "UPDATE auth_sessions SET replaced_by_session_id = ? WHERE id = ?", [.int64(new.id), .int64(sessionId)])
      guard let updatedOld = try Self.fetch(sessionId, conn) else { return .notFound }
      return .rotated(old: updatedOld, new: new)
    }
  }

  /// Revokes one session (kept revoked if it already was); false when it does not exist.
  @discardableResult
  public func revoke(_ sessionId: Int64, reason: String, now: Int64 = Timestamp.nowMillis()) async throws -> Bool {
    try await database.write { conn in
      try conn.execute(
        """
        UPDATE auth_sessions SET revoked_at = COALESCE(revoked_at, ?), revoked_reason = COALESCE(revoked_reason, ?),
          updated_at = ? WHERE id = ?
        """, [.int64(now), .text(reason), .text(Timestamp.iso(now)), .int64(sessionId)]
      ).rowsAffected == 1
    }
  }

  /// Revokes every live session of a family (logout, refresh-token reuse); returns how many were live.
  @discardableResult
  public func revokeFamily(_ familyId: String, reason: String, now: Int64 = Timestamp.nowMillis()) async throws -> Int {
    try await database.write { conn in
      try conn.execute(
        """
        UPDATE auth_sessions SET revoked_at = ?, revoked_reason = ?, updated_at = ?
        WHERE family_id = ? AND revoked_at IS NULL
        """, [.int64(now), .text(reason), .text(Timestamp.iso(now)), .text(familyId)]
      ).rowsAffected
    }
  }

  /// Revokes every live session of a user except the family of `keepSessionId` (a password change keeps the
  /// session that made it); returns how many were revoked.
  @discardableResult
  public func revokeAllForUser(
    _ userId: Int64, except keepSessionId: Int64? = nil, reason: String, now: Int64 = Timestamp.nowMillis()
  ) async throws -> Int {
    try await database.write { conn in
      var keepFamily = ""
      if let keepSessionId, let kept = try Self.fetch(keepSessionId, conn), kept.userId == userId {
        keepFamily = kept.familyId
      }
      return try conn.execute(
        """
        UPDATE auth_sessions SET revoked_at = ?, revoked_reason = ?, updated_at = ?
        WHERE user_id = ? AND revoked_at IS NULL AND family_id <> ?
        """, [.int64(now), .text(reason), .text(Timestamp.iso(now)), .int64(userId), .text(keepFamily)]
      ).rowsAffected
    }
  }

  /// Whether an access token's `sid` still names a live session of `userId`. Rotation makes the previous session
  /// not live, so only the newest access token of a family stays valid.
  public func isLive(_ sessionId: Int64, userId: Int64? = nil, now: Int64 = Timestamp.nowMillis()) async throws
    -> Bool
  {
    guard let session = try await byId(sessionId) else { return false }
    if let userId, session.userId != userId { return false }
    return session.isLive(now: now)
  }

  /// Deletes sessions that expired before `cutoff`; returns how many.
  @discardableResult
  public func purgeExpired(before cutoff: Int64) async throws -> Int {
    try await database.write { conn in
      // Rows of other sessions point here through replaced_by_session_id; ON DELETE SET NULL handles them.
      try conn.execute("DELETE FROM auth_sessions WHERE expires_at < ?", [.int64(cutoff)]).rowsAffected
    }
  }

  static func fetch(_ id: Int64, _ conn: any SQLConnection) throws -> SessionRecord? {
    try conn.queryOne("SELECT \(columns) FROM auth_sessions WHERE id = ?", [.int64(id)]).map(SessionRecord.init(row:))
  }

  static func insert(_ session: NewSession, familyId: String, now: Int64, _ conn: any SQLConnection) throws
    -> SessionRecord
  {
    let iso = Timestamp.iso(now)
    let result: SQLExecuteResult
    do {
      result = try conn.execute(
        """
        INSERT INTO auth_sessions (user_id, family_id, refresh_token_hash, expires_at, created_at, updated_at,
          user_agent, ip_address) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
          .int64(session.userId), .text(familyId), .text(session.refreshTokenHash), .int64(session.expiresAt),
          .text(iso), .text(iso), SQLValue(session.userAgent), SQLValue(session.ipAddress),
        ])
    } catch SQLError.uniqueViolation {
      throw StoreError.duplicate(field: "refreshTokenHash")
    } catch SQLError.foreignKeyViolation {
      throw StoreError.userNotFound(session.userId)
    }
    guard let created = try fetch(result.lastInsertID, conn) else { throw StoreError.userNotFound(session.userId) }
    return created
  }
}
