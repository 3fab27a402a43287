import SmartLampCore

/// One signed-in session as its person sees it: a refresh-token family (a login and every rotation since) that
/// still holds a live token.
public struct SessionFamilySummary: Sendable, Hashable {
  /// The family's first session id: stable across refreshes, so a listed session can still be revoked after the
  /// browser holding it refreshed.
  public var id: Int64
  public var familyId: String
  /// The login, epoch ms.
  public var createdAt: Int64
  /// The last login or refresh (when its live token was issued), epoch ms.
  public var lastUsedAt: Int64?
  public var userAgent: String?
  public var ipAddress: String?
}

extension SessionRepository {
  /// At most this many sessions are listed (newest first).
  public static let maximumListedFamilies = 100

  /// The user's sessions whose family still has a live token at `now`, newest login first.
  public func activeFamilies(userId: Int64, now: Int64 = Timestamp.nowMillis()) async throws
    -> [SessionFamilySummary]
  {
    try await database.read { conn in
      try conn.query(
        """
        SELECT s.family_id, s.created_at, s.user_agent, s.ip_address,
          (SELECT MIN(f.id) FROM auth_sessions f WHERE f.family_id = s.family_id) AS first_id,
          (SELECT MIN(f.created_at) FROM auth_sessions f WHERE f.family_id = s.family_id) AS started_at
        FROM auth_sessions s
        WHERE s.user_id = ? AND s.revoked_at IS NULL AND s.expires_at > ?
        ORDER BY first_id DESC, s.id DESC \(conn.dialect.limit(Self.maximumListedFamilies * 2))
        """, [.int64(userId), .int64(now)]
      ).reduce(into: [SessionFamilySummary]()) { families, row in
        // A family has one live token; should a race have left two, the newest (listed first) speaks for it.
        let family = try row.string("family_id")
        guard !families.contains(where: { $0.familyId == family }),
          families.count < Self.maximumListedFamilies
        else { return }
        let lastUsed = Timestamp.millis(fromISO: try row.string("created_at"))
        families.append(
          SessionFamilySummary(
            id: try row.int64("first_id"), familyId: family,
            createdAt: Timestamp.millis(fromISO: try row.string("started_at")) ?? lastUsed ?? 0,
            lastUsedAt: lastUsed, userAgent: try row.optionalString("user_agent"),
            ipAddress: try row.optionalString("ip_address")))
      }
    }
  }

  /// Revokes the family of session `sessionId` when it belongs to `userId` and still has a live token; false
  /// otherwise (another user's, unknown, or already ended), so a caller cannot tell others' sessions exist.
  public func revokeFamily(
    ofSession sessionId: Int64, userId: Int64, reason: SessionEnd, now: Int64 = Timestamp.nowMillis()
  ) async throws -> Bool {
    try await database.write { conn in
      guard let session = try Self.fetch(sessionId, conn), session.userId == userId,
        try Self.familyIsLive(session.familyId, now: now, conn)
      else { return false }
      try Self.revokeFamily(session.familyId, reason: reason, now: now, conn)
      return true
    }
  }

  /// Revokes every live session family of `userId` except the one `keepSessionId` belongs to; returns how many
  /// families (sessions as the person sees them) were ended.
  public func revokeOtherFamilies(
    userId: Int64, keeping keepSessionId: Int64, reason: SessionEnd, now: Int64 = Timestamp.nowMillis()
  ) async throws -> Int {
    try await database.write { conn in
      let keepFamily = try Self.fetch(keepSessionId, conn)?.familyId ?? ""
      let live =
        try conn.queryOne(
          """
          SELECT COUNT(DISTINCT family_id) AS n FROM auth_sessions
          WHERE user_id = ? AND family_id <> ? AND revoked_at IS NULL AND expires_at > ?
          """, [.int64(userId), .text(keepFamily), .int64(now)]
        )?.int("n") ?? 0
      try Self.revokeAll(userId, exceptFamilyOf: keepSessionId, reason: reason, now: now, conn)
      return live
    }
  }

  static func familyIsLive(_ familyId: String, now: Int64, _ conn: any SQLConnection) throws -> Bool {
    try conn.queryOne(
      """
      SELECT id FROM auth_sessions WHERE family_id = ? AND revoked_at IS NULL AND expires_at > ?
      \(conn.dialect.limit(1))
      """,
      [.text(familyId), .int64(now)]) != nil
  }
}
