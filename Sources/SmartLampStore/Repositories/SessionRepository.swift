import Foundation
import SmartLampCore

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

/// Why a session ended (`auth_sessions.revoked_reason`).
public enum SessionEnd: String, Sendable, Hashable, CaseIterable {
  /// Replaced by a newer token of the same family; access tokens of the family stay valid.
  case rotated
  case logout
  /// A rotated or revoked token was presented again: the whole family is revoked.
  case reuse
  case expired
  case passwordChanged = "password_changed"
  case userDisabled = "user_disabled"
  /// The account's role changed (from the command line); it signs in again with its new rights.
  case roleChanged = "role_changed"
}

/// The result of presenting a refresh token (CONTRACT §3).
public enum SessionRefresh: Sendable, Hashable {
  /// The presented row is marked rotated and `session` (same family) replaces it; `user` may act.
  case rotated(user: UserRecord, session: SessionRecord)
  case notFound
  /// The token was already rotated or revoked: its family is now revoked (`reuse`).
  case reused
  /// The token expired: its family is now revoked (`expired`).
  case expired
  /// The user is inactive, archived or gone: the family is now revoked (`user_disabled`).
  case userUnusable
}

/// Login sessions (refresh tokens) with rotation and family revocation (CONTRACT §3). A rotated row keeps
/// `revoked_reason = 'rotated'`: access tokens of the family stay valid until the family itself is revoked.
public struct SessionRepository: Sendable {
  public let database: any SQLDatabase

  public init(database: any SQLDatabase) { self.database = database }

  static let columns = """
    id, user_id, family_id, refresh_token_hash, expires_at, created_at, updated_at, last_used_at, rotated_at, \
    revoked_at, revoked_reason, replaced_by_session_id, user_agent, ip_address
    """

  /// Starts a new family (a login). The user agent is cut to 512 characters, the address to 255.
  public func create(_ session: NewSession, now: Int64 = Timestamp.nowMillis()) async throws -> SessionRecord {
    try await database.write { conn in
      try Self.insert(session, familyId: UUID().uuidString.lowercased(), now: now, conn)
    }
  }

  public func byId(_ id: Int64) async throws -> SessionRecord? {
    try await database.read { conn in try Self.fetch(id, conn) }
  }

  public func byRefreshHash(_ hash: String) async throws -> SessionRecord? {
    try await database.read { conn in try Self.fetch(refreshHash: hash, conn) }
  }

  /// Rotates the session of a presented refresh token in one transaction: a row already rotated or revoked, an
  /// expired row, or an owner who may no longer act revokes the whole family instead. Of two concurrent
  /// refreshes with one token exactly one rotates; the other sees a rotated row (reuse).
  public func refresh(
    refreshTokenHash: String, newRefreshTokenHash: String, expiresAt: Int64, userAgent: String? = nil,
    ipAddress: String? = nil, now: Int64 = Timestamp.nowMillis()
  ) async throws -> SessionRefresh {
    try await database.write { conn in
      guard let session = try Self.fetch(refreshHash: refreshTokenHash, conn, lock: true) else { return .notFound }
      if session.revokedAt != nil || session.rotatedAt != nil {
        try Self.revokeFamily(session.familyId, reason: .reuse, now: now, conn)
        return .reused
      }
      if session.expiresAt <= now {
        try Self.revokeFamily(session.familyId, reason: .expired, now: now, conn)
        return .expired
      }
      guard let user = try UserRepository.fetch(session.userId, conn), user.isUsable else {
        try Self.revokeFamily(session.familyId, reason: .userDisabled, now: now, conn)
        return .userUnusable
      }
      let new = try Self.insert(
        NewSession(
          userId: user.id, refreshTokenHash: newRefreshTokenHash, expiresAt: expiresAt, userAgent: userAgent,
          ipAddress: ipAddress), familyId: session.familyId, now: now, conn)
      try conn.execute(
        """
        UPDATE auth_sessions SET rotated_at = ?, revoked_at = ?, last_used_at = ?, replaced_by_session_id = ?,
          revoked_reason = 'rotated', updated_at = ?
        WHERE id = ?
        """,
        [.int64(now), .int64(now), .int64(now), .int64(new.id), .text(Timestamp.iso(now)), .int64(session.id)])
      return .rotated(user: user, session: new)
    }
  }

  /// Revokes every token of a family, rotated ones included (so their access tokens stop too); a token revoked
  /// for another reason keeps it. Returns how many rows changed.
  @discardableResult
  public func revokeFamily(_ familyId: String, reason: SessionEnd, now: Int64 = Timestamp.nowMillis()) async throws
    -> Int
  {
    try await database.write { conn in try Self.revokeFamily(familyId, reason: reason, now: now, conn) }
  }

  /// Logout: revokes, in one transaction, the family of the refresh token with this hash and the family of
  /// `sessionId` (either may be nil or unknown).
  public func revokeFamilies(
    refreshTokenHash: String?, sessionId: Int64?, reason: SessionEnd, now: Int64 = Timestamp.nowMillis()
  ) async throws {
    try await database.write { conn in
      var families: Set<String> = []
      if let refreshTokenHash, let session = try Self.fetch(refreshHash: refreshTokenHash, conn) {
        families.insert(session.familyId)
      }
      if let sessionId, let session = try Self.fetch(sessionId, conn) { families.insert(session.familyId) }
      for family in families { try Self.revokeFamily(family, reason: reason, now: now, conn) }
    }
  }

  /// Revokes every session of a user except the family of `keepSessionId` (a password change keeps the session
  /// that made it); returns how many rows changed.
  @discardableResult
  public func revokeAllForUser(
    _ userId: Int64, exceptFamilyOf keepSessionId: Int64? = nil, reason: SessionEnd,
    now: Int64 = Timestamp.nowMillis()
  ) async throws -> Int {
    try await database.write { conn in
      try Self.revokeAll(userId, exceptFamilyOf: keepSessionId, reason: reason, now: now, conn)
    }
  }

  /// The user behind an access token's session, when that session belongs to `userId`, was not ended other than
  /// by rotation, its family still has a live token (neither revoked nor expired at `now`), and the user may act.
  /// One indexed read: every authenticated request makes it.
  public func liveUser(sessionId: Int64, userId: Int64, now: Int64 = Timestamp.nowMillis()) async throws
    -> UserRecord?
  {
    try await database.read { conn in
      try conn.queryOne(
        """
        SELECT \(UserRepository.columns(prefix: "u.")) FROM auth_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = ? AND s.user_id = ? AND (s.revoked_reason IS NULL OR s.revoked_reason = 'rotated')
          AND u.is_active = 1 AND u.deleted_at IS NULL
          AND EXISTS (SELECT 1 FROM auth_sessions f WHERE f.family_id = s.family_id AND f.revoked_at IS NULL
            AND f.expires_at > ?)
        """, [.int64(sessionId), .int64(userId), .int64(now)]
      ).map(UserRecord.init(row:))
    }
  }

  /// Of `ids`, the sessions whose user may act and whose family still has a live token at `now` (open realtime
  /// streams are closed when theirs drops out).
  public func liveSessionIds(among ids: Set<Int64>, now: Int64 = Timestamp.nowMillis()) async throws -> Set<Int64> {
    Set(try await liveSessionRoles(among: ids, now: now).keys)
  }

  /// As ``liveSessionIds(among:now:)``, with each live session's user's current role (an open stream whose caller
  /// was promoted or demoted since it opened carries the wrong devices).
  public func liveSessionRoles(among ids: Set<Int64>, now: Int64 = Timestamp.nowMillis()) async throws
    -> [Int64: Role]
  {
    guard !ids.isEmpty else { return [:] }
    let sorted = ids.sorted()
    return try await database.read { conn in
      let rows = try conn.query(
        """
        SELECT s.id, u.role FROM auth_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id IN (\(conn.dialect.placeholders(sorted.count))) AND u.is_active = 1 AND u.deleted_at IS NULL
          AND EXISTS (SELECT 1 FROM auth_sessions f WHERE f.family_id = s.family_id AND f.revoked_at IS NULL
            AND f.expires_at > ?)
        """, sorted.map(SQLValue.int64) + [.int64(now)])
      var roles: [Int64: Role] = [:]
      for row in rows { roles[try row.int64("id")] = Role(storedValue: try row.string("role")) }
      return roles
    }
  }

  /// Deletes sessions that expired before `cutoff`; returns how many.
  @discardableResult
  public func purgeExpired(before cutoff: Int64) async throws -> Int {
    try await database.write { conn in
      // Rows of other sessions point here through replaced_by_session_id; ON DELETE SET NULL handles them.
      try conn.execute("DELETE FROM auth_sessions WHERE expires_at < ?", [.int64(cutoff)]).rowsAffected
    }
  }

  // MARK: helpers running inside a caller's transaction

  static func fetch(_ id: Int64, _ conn: any SQLConnection) throws -> SessionRecord? {
    try conn.queryOne("SELECT \(columns) FROM auth_sessions WHERE id = ?", [.int64(id)]).map(SessionRecord.init(row:))
  }

  /// `lock`: the row is about to change in this write (InnoDB row lock, so two refreshes of one token serialise).
  static func fetch(refreshHash: String, _ conn: any SQLConnection, lock: Bool = false) throws -> SessionRecord? {
    try conn.queryOne(
      "SELECT \(columns) FROM auth_sessions WHERE refresh_token_hash = ?" + (lock ? conn.dialect.lockForUpdate : ""),
      [.text(refreshHash)]
    )
    .map(SessionRecord.init(row:))
  }

  @discardableResult
  static func revokeFamily(_ familyId: String, reason: SessionEnd, now: Int64, _ conn: any SQLConnection) throws
    -> Int
  {
    try conn.execute(
      """
      UPDATE auth_sessions SET revoked_at = COALESCE(revoked_at, ?), revoked_reason = ?, updated_at = ?
      WHERE family_id = ? AND (revoked_reason IS NULL OR revoked_reason = 'rotated')
      """, [.int64(now), .text(reason.rawValue), .text(Timestamp.iso(now)), .text(familyId)]
    ).rowsAffected
  }

  @discardableResult
  static func revokeAll(
    _ userId: Int64, exceptFamilyOf keepSessionId: Int64?, reason: SessionEnd, now: Int64, _ conn: any SQLConnection
  ) throws -> Int {
    let keepFamily = try keepSessionId.flatMap { try fetch($0, conn)?.familyId } ?? ""
    return try conn.execute(
      """
      UPDATE auth_sessions SET revoked_at = COALESCE(revoked_at, ?), revoked_reason = ?, updated_at = ?
      WHERE user_id = ? AND family_id <> ? AND (revoked_reason IS NULL OR revoked_reason = 'rotated')
      """, [.int64(now), .text(reason.rawValue), .text(Timestamp.iso(now)), .int64(userId), .text(keepFamily)]
    ).rowsAffected
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
          .text(iso), .text(iso), SQLValue(session.userAgent.map { String($0.prefix(512)) }),
          SQLValue(session.ipAddress.map { String($0.prefix(255)) }),
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
