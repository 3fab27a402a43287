import SmartLampCore

/// An `integration_clients` row: an API key stored as the SHA-256 of the secret.
public struct ApiKeyRecord: Sendable, Hashable {
  public var id: Int64
  public var name: String
  public var apiKeyHash: String
  /// The first characters of the key (e.g. `slk_AbC1`), shown in lists to tell keys apart.
  public var keyPrefix: String?
  public var scopes: APIScopes
  public var isActive: Bool
  public var ownerUserId: Int64?
  public var createdByUserId: Int64?
  public var expiresAt: Int64?
  public var lastUsedAt: Int64?
  public var revokedAt: Int64?
  public var createdAt: String

  /// Active, not revoked, not expired at `now`.
  public func isUsable(now: Int64) -> Bool {
    isActive && revokedAt == nil && (expiresAt.map { $0 > now } ?? true)
  }

  init(row: SQLRow) throws {
    id = try row.int64("id")
    name = try row.string("name")
    apiKeyHash = try row.string("api_key_hash")
    keyPrefix = try row.optionalString("key_prefix")
    scopes = APIScopes(csv: try row.string("scopes"))
    isActive = try row.bool("is_active")
    ownerUserId = try row.optionalInt64("owner_user_id")
    createdByUserId = try row.optionalInt64("created_by_user_id")
    expiresAt = try row.optionalInt64("expires_at")
    lastUsedAt = try row.optionalInt64("last_used_at")
    revokedAt = try row.optionalInt64("revoked_at")
    createdAt = try row.string("created_at")
  }
}

public struct NewApiKey: Sendable, Hashable {
  public var name: String
  public var apiKeyHash: String
  public var keyPrefix: String?
  public var scopes: APIScopes
  public var ownerUserId: Int64?
  public var createdByUserId: Int64?
  public var expiresAt: Int64?

  public init(
    name: String, apiKeyHash: String, keyPrefix: String?, scopes: APIScopes, ownerUserId: Int64?,
    createdByUserId: Int64?, expiresAt: Int64? = nil
  ) {
    self.name = name
    self.apiKeyHash = apiKeyHash
    self.keyPrefix = keyPrefix
    self.scopes = scopes
    self.ownerUserId = ownerUserId
    self.createdByUserId = createdByUserId
    self.expiresAt = expiresAt
  }
}

/// API keys (integration clients).
public struct ApiKeyRepository: Sendable {
  public let database: any SQLDatabase

  public init(database: any SQLDatabase) { self.database = database }

  static let columns = """
    id, name, api_key_hash, key_prefix, scopes, is_active, owner_user_id, created_by_user_id, expires_at, \
    last_used_at, revoked_at, created_at
    """

  public func create(_ key: NewApiKey, now: Int64 = Timestamp.nowMillis()) async throws -> ApiKeyRecord {
    try await database.write { conn in
      let result: SQLExecuteResult
      do {
        result = try conn.execute(
          """
          INSERT INTO integration_clients (name, api_key_hash, key_prefix, scopes, is_active, owner_user_id,
            created_by_user_id, expires_at, created_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)
          """,
          [
            .text(key.name), .text(key.apiKeyHash), SQLValue(key.keyPrefix), .text(key.scopes.csv),
            SQLValue(key.ownerUserId), SQLValue(key.createdByUserId), SQLValue(key.expiresAt),
            .text(Timestamp.iso(now)),
          ])
      } catch SQLError.uniqueViolation {
        throw StoreError.duplicate(field: "apiKeyHash")
      } catch SQLError.foreignKeyViolation {
        throw StoreError.userNotFound(key.ownerUserId ?? key.createdByUserId ?? 0)
      }
      guard let record = try Self.fetch(result.lastInsertID, conn) else {
        throw SQLError.engine(code: -1, message: "inserted API key not found")
      }
      return record
    }
  }

  /// The key with this hash in any state; the caller checks ``ApiKeyRecord/isUsable(now:)``.
  public func byHash(_ hash: String) async throws -> ApiKeyRecord? {
    try await database.read { conn in
      try conn.queryOne("SELECT \(Self.columns) FROM integration_clients WHERE api_key_hash = ?", [.text(hash)])
        .map(ApiKeyRecord.init(row:))
    }
  }

  public func byId(_ id: Int64) async throws -> ApiKeyRecord? {
    try await database.read { conn in try Self.fetch(id, conn) }
  }

  /// Every key, oldest first.
  public func list() async throws -> [ApiKeyRecord] {
    try await database.read { conn in
      try conn.query("SELECT \(Self.columns) FROM integration_clients ORDER BY id").map(ApiKeyRecord.init(row:))
    }
  }

  /// Deactivates a key; false when no such key. Revoking twice keeps the first `revoked_at`.
  @discardableResult
  public func revoke(_ id: Int64, now: Int64 = Timestamp.nowMillis()) async throws -> Bool {
    try await database.write { conn in
      try conn.execute(
        "UPDATE integration_clients SET is_active = 0, revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
        [.int64(now), .int64(id)]
      ).rowsAffected == 1
    }
  }

  /// Records use, at most once per `minimumIntervalMillis` so busy keys do not write on every request; true when
  /// the row was written.
  @discardableResult
  public func touchLastUsed(
    _ id: Int64, now: Int64 = Timestamp.nowMillis(), minimumIntervalMillis: Int64 = 60_000
  ) async throws -> Bool {
    try await database.write { conn in
      try conn.execute(
        "UPDATE integration_clients SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)",
        [.int64(now), .int64(id), .int64(now - minimumIntervalMillis)]
      ).rowsAffected == 1
    }
  }

  static func fetch(_ id: Int64, _ conn: any SQLConnection) throws -> ApiKeyRecord? {
    try conn.queryOne("SELECT \(columns) FROM integration_clients WHERE id = ?", [.int64(id)])
      .map(ApiKeyRecord.init(row:))
  }
}
