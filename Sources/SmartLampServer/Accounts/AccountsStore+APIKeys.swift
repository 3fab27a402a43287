import SmartLampCore
import SmartLampStore

/// One `integration_clients` row (an API key, without its secret).
struct APIClientRecord: Sendable, Equatable {
  var id: Int64
  var name: String
  var scopes: APIScopes
  var keyPrefix: String?
  var ownerUserId: Int64?
  var expiresAt: Int64?
  var lastUsedAt: Int64?
  var isActive: Bool
  var createdAt: String
  var createdByUserId: Int64?
  var revokedAt: Int64?

  static let columns =
    "c.id, c.name, c.scopes, c.key_prefix, c.owner_user_id, c.expires_at, c.last_used_at, c.is_active, c.created_at, c.created_by_user_id, c.revoked_at"

  init(row: SQLRow) throws {
    id = try row.int64("id")
    name = try row.optionalString("name") ?? ""
    scopes = APIScopes(csv: try row.optionalString("scopes") ?? "")
    keyPrefix = try row.optionalString("key_prefix")
    ownerUserId = try row.optionalInt64("owner_user_id")
    expiresAt = try row.optionalInt64("expires_at")
    lastUsedAt = try row.optionalInt64("last_used_at")
    isActive = try row.optionalBool("is_active") ?? false
    createdAt = try row.optionalString("created_at") ?? ""
    createdByUserId = try row.optionalInt64("created_by_user_id")
    revokedAt = try row.optionalInt64("revoked_at")
  }

  func isUsable(now: Int64) -> Bool { isActive && revokedAt == nil && !isExpired(now: now) }
  func isExpired(now: Int64) -> Bool { expiresAt.map { $0 <= now } ?? false }
}

/// What an API key resolves to: the client and its owner's role when the owner may act.
struct APIKeyLookup: Sendable {
  var client: APIClientRecord
  var ownerRole: Role?
}

// MARK: API keys
extension AccountsStore {
  static func apiKey(hash: String, in conn: any SQLConnection) throws -> APIKeyLookup? {
    guard
      let row = try conn.queryOne(
        """
        SELECT \(APIClientRecord.columns), o.role AS owner_role, o.is_active AS owner_active,
          o.deleted_at AS owner_deleted_at
        FROM integration_clients c LEFT JOIN users o ON o.id = c.owner_user_id
        WHERE c.api_key_hash = ?
        """, [.text(hash)])
    else { return nil }
    let client = try APIClientRecord(row: row)
    let ownerCanAct =
      try row.optionalString("owner_role") != nil && (try row.optionalBool("owner_active") ?? false)
      && (try row.optionalString("owner_deleted_at")) == nil
    let role = ownerCanAct ? Role(storedValue: try row.optionalString("owner_role") ?? "") : nil
    return APIKeyLookup(client: client, ownerRole: role)
  }

  /// Records a use, at most once per `granularityMs` per key so reads do not turn into a write per request.
  static func touchAPIKey(id: Int64, now: Int64, granularityMs: Int64, in conn: any SQLConnection) throws {
    try conn.execute(
      "UPDATE integration_clients SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
      [.int64(now), .int64(id), .int64(now - granularityMs)])
  }

  static func insertAPIClient(
    name: String, keyHash: String, keyPrefix: String, scopes: APIScopes, ownerUserId: Int64,
    expiresAt: Int64?, createdBy: Int64?, in conn: any SQLConnection
  ) throws -> Int64 {
    try conn.execute(
      """
      INSERT INTO integration_clients (name, api_key_hash, key_prefix, scopes, is_active, created_at, owner_user_id,
        expires_at, created_by_user_id)
      VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)
      """,
      [
        .text(name), .text(keyHash), .text(keyPrefix), .text(scopes.csv), .text(StoreTime.nowISO()),
        .int64(ownerUserId), SQLValue(expiresAt), SQLValue(createdBy),
      ]
    ).lastInsertID
  }

  static func apiClient(id: Int64, in conn: any SQLConnection) throws -> APIClientRecord? {
    try conn.queryOne("SELECT \(APIClientRecord.columns) FROM integration_clients c WHERE c.id = ?", [.int64(id)])
      .map(APIClientRecord.init)
  }

  static func listAPIClients(in conn: any SQLConnection) throws -> [APIClientRecord] {
    try conn.query("SELECT \(APIClientRecord.columns) FROM integration_clients c ORDER BY c.id").map(
      APIClientRecord.init)
  }

  static func revokeAPIClient(id: Int64, now: Int64, in conn: any SQLConnection) throws {
    try conn.execute(
      "UPDATE integration_clients SET is_active = 0, revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
      [.int64(now), .int64(id)])
  }
}
