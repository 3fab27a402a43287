import SmartLampStore

/// One `auth_sessions` row: a refresh token of a login family.
struct AuthSessionRow: Sendable, Equatable {
  var id: Int64
  var userId: Int64
  var familyId: String
  var expiresAt: Int64
  var rotatedAt: Int64?
  var revokedAt: Int64?
  var revokedReason: String?

  init(row: SQLRow) throws {
    id = try row.int64("id")
    userId = try row.int64("user_id")
    familyId = try row.optionalString("family_id") ?? ""
    expiresAt = try row.int64("expires_at")
    rotatedAt = try row.optionalInt64("rotated_at")
    revokedAt = try row.optionalInt64("revoked_at")
    revokedReason = try row.optionalString("revoked_reason")
  }
}

/// Why a session ended (`auth_sessions.revoked_reason`).
enum SessionEnd: String, Sendable {
  /// Replaced by a newer token of the same family; access tokens of the family stay valid.
  case rotated
  case logout
  /// A rotated token was presented again: the whole family is revoked.
  case reuse
  case expired
  case passwordChanged = "password_changed"
  case userDisabled = "user_disabled"
}

// MARK: sessions
extension AccountsStore {
  static let sessionColumns = "id, user_id, family_id, expires_at, rotated_at, revoked_at, revoked_reason"

  static func insertSession(
    userId: Int64, tokenHash: String, familyId: String, expiresAt: Int64, userAgent: String?, ipAddress: String?,
    in conn: any SQLConnection
  ) throws -> Int64 {
    let now = StoreTime.nowISO()
    return try conn.execute(
      """
      INSERT INTO auth_sessions (user_id, refresh_token_hash, family_id, expires_at, created_at, updated_at,
        user_agent, ip_address)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      """,
      [
        .int64(userId), .text(tokenHash), .text(familyId), .int64(expiresAt), .text(now), .text(now),
        SQLValue(userAgent.map { String($0.prefix(512)) }), SQLValue(ipAddress.map { String($0.prefix(255)) }),
      ]
    ).lastInsertID
  }

  static func session(tokenHash: String, in conn: any SQLConnection) throws -> AuthSessionRow? {
    try conn.queryOne(
      "SELECT \(sessionColumns) FROM auth_sessions WHERE refresh_token_hash = ?", [.text(tokenHash)]
    ).map(AuthSessionRow.init)
  }

  static func session(id: Int64, in conn: any SQLConnection) throws -> AuthSessionRow? {
    try conn.queryOne("SELECT \(sessionColumns) FROM auth_sessions WHERE id = ?", [.int64(id)])
      .map(AuthSessionRow.init)
  }

  /// The user behind an access token's `sid`, when that session's family is still alive (its newest token is
  /// neither revoked nor expired) and the user may act; nil otherwise. One indexed read per request.
  static func userOfLiveSession(sessionId: Int64, userId: Int64, now: Int64, in conn: any SQLConnection) throws
    -> AccountUser?
  {
    try conn.queryOne(
      """
      SELECT \(AccountUser.columns) FROM auth_sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id = ? AND s.user_id = ? AND (s.revoked_reason IS NULL OR s.revoked_reason = 'rotated')
        AND u.is_active = 1 AND u.deleted_at IS NULL
        AND EXISTS (SELECT 1 FROM auth_sessions f WHERE f.family_id = s.family_id AND f.revoked_at IS NULL
          AND f.expires_at > ?)
      """, [.int64(sessionId), .int64(userId), .int64(now)]
    ).map(AccountUser.init)
  }

  /// Marks `session` as replaced by `replacement`.
  static func markRotated(sessionId: Int64, replacement: Int64, now: Int64, in conn: any SQLConnection) throws {
    try conn.execute(
      """
      UPDATE auth_sessions SET rotated_at = ?, revoked_at = ?, last_used_at = ?, replaced_by_session_id = ?,
        revoked_reason = 'rotated', updated_at = ?
      WHERE id = ?
      """,
      [.int64(now), .int64(now), .int64(now), .int64(replacement), .text(StoreTime.iso(now)), .int64(sessionId)])
  }

  /// Ends every token of a family (rotated ones included, so their access tokens stop too).
  static func revokeFamily(_ familyId: String, reason: SessionEnd, now: Int64, in conn: any SQLConnection) throws {
    try conn.execute(
      """
      UPDATE auth_sessions SET revoked_at = COALESCE(revoked_at, ?), revoked_reason = ?, updated_at = ?
      WHERE family_id = ? AND (revoked_reason IS NULL OR revoked_reason = 'rotated')
      """, [.int64(now), .text(reason.rawValue), .text(StoreTime.iso(now)), .text(familyId)])
  }

  /// Ends every session of a user, except those of `keepFamily`.
  static func revokeSessions(
    ofUser userId: Int64, exceptFamily keepFamily: String? = nil, reason: SessionEnd, now: Int64,
    in conn: any SQLConnection
  ) throws {
    try conn.execute(
      """
      UPDATE auth_sessions SET revoked_at = COALESCE(revoked_at, ?), revoked_reason = ?, updated_at = ?
      WHERE user_id = ? AND family_id <> ? AND (revoked_reason IS NULL OR revoked_reason = 'rotated')
      """,
      [.int64(now), .text(reason.rawValue), .text(StoreTime.iso(now)), .int64(userId), .text(keepFamily ?? "")])
  }

  /// Deletes sessions whose refresh expiry passed more than `retentionMs` ago (kept a while so reuse of an old
  /// rotated token is still recognised and logged as such).
  static func purgeSessions(before cutoff: Int64, in conn: any SQLConnection) throws -> Int {
    try conn.execute(
      "DELETE FROM auth_sessions WHERE expires_at < ?", [.int64(cutoff)]
    ).rowsAffected
  }
}
