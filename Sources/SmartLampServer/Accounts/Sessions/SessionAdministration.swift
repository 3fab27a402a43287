import SmartLampCore
import SmartLampStore

/// A person's own signed-in sessions (issue #7 item 8): listing them and signing out of some. A session is a
/// refresh-token family; ending one revokes the whole family, and the access-change nudge voids the session cache,
/// so the revoked session's access token answers 401 at once in this process.
struct SessionAdministration: Sendable {
  let accounts: AccountsServices

  struct Listed: Encodable, Sendable {
    let id: Int64
    let createdAt: Int64
    @NullEncoded var lastUsedAt: Int64?
    @NullEncoded var userAgent: String?
    @NullEncoded var ipAddress: String?
    let current: Bool
  }

  /// The person's live sessions, newest first; `current` marks the one `currentSessionId` belongs to.
  func list(userId: Int64, currentSessionId: Int64?) async throws -> [Listed] {
    let sessions = accounts.store.sessions
    var currentFamily: String?
    if let currentSessionId { currentFamily = try await sessions.byId(currentSessionId)?.familyId }
    return try await sessions.activeFamilies(userId: userId).map {
      Listed(
        id: $0.id, createdAt: $0.createdAt, lastUsedAt: $0.lastUsedAt, userAgent: $0.userAgent,
        ipAddress: $0.ipAddress, current: $0.familyId == currentFamily)
    }
  }

  /// Ends one of the person's sessions; `404` for another person's, an unknown or an ended one.
  func revoke(sessionId: Int64, userId: Int64) async throws {
    guard try await accounts.store.sessions.revokeFamily(ofSession: sessionId, userId: userId, reason: .logout) else {
      throw APIError.notFound("Session")
    }
    accounts.accessChanges.changed()
  }

  /// Ends every session of the person except the one `currentSessionId` belongs to; returns how many ended.
  func revokeOthers(userId: Int64, currentSessionId: Int64) async throws -> Int {
    let revoked = try await accounts.store.sessions.revokeOtherFamilies(
      userId: userId, keeping: currentSessionId, reason: .logout)
    if revoked > 0 { accounts.accessChanges.changed() }
    return revoked
  }
}
