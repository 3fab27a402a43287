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

/// What an API key presented by a caller resolves to: the key in any state, and its owner's role while the owner
/// exists, is active and is not archived (nil otherwise: the key then has no device rights).
public struct ApiKeyLookup: Sendable, Hashable {
  public var key: ApiKeyRecord
  public var ownerRole: Role?

  public init(key: ApiKeyRecord, ownerRole: Role?) {
    self.key = key
    self.ownerRole = ownerRole
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

  static let columns = columns(prefix: "")

  static func columns(prefix p: String) -> String {
    [
      "id", "name", "api_key_hash", "key_prefix", "scopes", "is_active", "owner_user_id", "created_by_user_id",
      "expires_at", "last_used_at", "revoked_at", "created_at",
    ].map { p + $0 }.joined(separator: ", ")
  }

  /// Creates a key. Its owner, when given, must exist (`StoreError.userNotFound`) and be active and not archived
  /// (`StoreError.userNotUsable`), checked in the same transaction.
  public func create(_ key: NewApiKey, now: Int64 = Timestamp.nowMillis()) async throws -> ApiKeyRecord {
    try await database.write { conn in
      if let ownerId = key.ownerUserId {
        guard let owner = try UserRepository.fetch(ownerId, conn) else { throw StoreError.userNotFound(ownerId) }
        guard owner.isUsable else { throw StoreError.userNotUsable(ownerId) }
      }
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

  /// The key with this hash and whether its owner may act, in one read (every API-key request makes it).
  public func lookup(hash: String) async throws -> ApiKeyLookup? {
    try await database.read { conn in
      guard
        let row = try conn.queryOne(
          """
          SELECT \(Self.columns(prefix: "c.")), o.role AS owner_role, o.is_active AS owner_active,
            o.deleted_at AS owner_deleted_at
          FROM integration_clients c LEFT JOIN users o ON o.id = c.owner_user_id
          WHERE c.api_key_hash = ?
          """, [.text(hash)])
      else { return nil }
      let ownerRole = try row.optionalString("owner_role")
      let ownerActive = try row.optionalBool("owner_active") ?? false
      let ownerArchived = try row.optionalString("owner_deleted_at") != nil
      let ownerCanAct = ownerRole != nil && ownerActive && !ownerArchived
      return ApiKeyLookup(
        key: try ApiKeyRecord(row: row), ownerRole: ownerCanAct ? Role(storedValue: ownerRole ?? "") : nil)
    }
  }

  /// Of `ids`, the keys that are active, not revoked and not expired at `now` (open realtime streams of the
  /// others are closed).
  public func usableIds(among ids: Set<Int64>, now: Int64 = Timestamp.nowMillis()) async throws -> Set<Int64> {
    guard !ids.isEmpty else { return [] }
    let sorted = ids.sorted()
    return try await database.read { conn in
      let rows = try conn.query(
        """
        SELECT id FROM integration_clients WHERE id IN (\(conn.dialect.placeholders(sorted.count)))
          AND is_active = 1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
        """, sorted.map(SQLValue.int64) + [.int64(now)])
      return Set(try rows.map { try $0.int64("id") })
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
      // Existence is read rather than taken from the affected-row count, which MariaDB reports as 0 for a row
      // that already held these values.
      guard try Self.fetch(id, conn) != nil else { return false }
      try conn.execute(
        "UPDATE integration_clients SET is_active = 0, revoked_at = COALESCE(revoked_at, ?) WHERE id = ?",
        [.int64(now), .int64(id)])
      return true
    }
  }

  /// Records use when the last recorded use is more than `minimumIntervalMillis` old, so busy keys do not write
  /// on every request; true when the row was written.
  @discardableResult
  public func touchLastUsed(
    _ id: Int64, now: Int64 = Timestamp.nowMillis(), minimumIntervalMillis: Int64 = 60_000
  ) async throws -> Bool {
    try await database.write { conn in
      try conn.execute(
        "UPDATE integration_clients SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
        [.int64(now), .int64(id), .int64(now - minimumIntervalMillis)]
      ).rowsAffected == 1
    }
  }

  static func fetch(_ id: Int64, _ conn: any SQLConnection) throws -> ApiKeyRecord? {
    try conn.queryOne("SELECT \(columns) FROM integration_clients WHERE id = ?", [.int64(id)])
      .map(ApiKeyRecord.init(row:))
  }
}
