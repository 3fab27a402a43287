import Foundation
import SmartLampCore
import SmartLampStore

/// API key management shared by the routes and `smartlamp apikey` (CONTRACT §3): keys are `slk_` + 32 random
/// bytes in base62, shown once, stored as SHA-256 with a short prefix for recognition; each acts for an owner.
public enum APIKeys {
  public static let prefix = "slk_"

  /// An API client as listed (never with its secret).
  public struct Client: Sendable, Equatable {
    public let id: Int64
    public let name: String
    public let scopes: [String]
    public let keyPrefix: String?
    public let ownerUserId: Int64?
    public let createdByUserId: Int64?
    public let isActive: Bool
    public let createdAt: String
    public let expiresAt: Int64?
    public let lastUsedAt: Int64?
    public let revokedAt: Int64?

    init(_ record: ApiKeyRecord, now: Int64 = Timestamp.nowMillis()) {
      id = record.id
      name = record.name
      scopes = record.scopes.names
      keyPrefix = record.keyPrefix
      ownerUserId = record.ownerUserId
      createdByUserId = record.createdByUserId
      isActive = record.isUsable(now: now)
      createdAt = record.createdAt
      expiresAt = record.expiresAt
      lastUsedAt = record.lastUsedAt
      revokedAt = record.revokedAt
    }
  }

  public enum Failure: Error, Sendable, Equatable {
    case ownerNotFound
    case ownerInactive
    case notFound
  }

  /// A new random key: `slk_` and 43 base62 characters.
  public static func generate() -> String { prefix + SecretTokens.base62(SecretTokens.randomBytes(32)) }

  /// Creates a key for `ownerUserId` (an active, non-archived user) and returns the client and the secret.
  public static func create(
    database: any SQLDatabase, name: String, scopes: APIScopes, ownerUserId: Int64, expiresAt: Int64?,
    createdBy: Int64?
  ) async throws -> (client: Client, apiKey: String) {
    let key = generate()
    let hash = SecretTokens.sha256Hex(key)
    let keyPrefix = String(key.prefix(prefix.count + 6))
    let record: ApiKeyRecord
    do {
      record = try await ApiKeyRepository(database: database).create(
        NewApiKey(
          name: name, apiKeyHash: hash, keyPrefix: keyPrefix, scopes: scopes, ownerUserId: ownerUserId,
          createdByUserId: createdBy, expiresAt: expiresAt))
    } catch StoreError.userNotFound {
      throw Failure.ownerNotFound
    } catch StoreError.userNotUsable {
      throw Failure.ownerInactive
    }
    return (Client(record), key)
  }

  public static func list(database: any SQLDatabase) async throws -> [Client] {
    let now = Timestamp.nowMillis()
    return try await ApiKeyRepository(database: database).list().map { Client($0, now: now) }
  }

  /// Revokes a key at once (the next request with it is refused). Revoking twice is harmless.
  public static func revoke(database: any SQLDatabase, id: Int64) async throws -> Client {
    let now = Timestamp.nowMillis()
    let keys = ApiKeyRepository(database: database)
    guard try await keys.revoke(id, now: now), let record = try await keys.byId(id) else { throw Failure.notFound }
    return Client(record, now: now)
  }

  /// The id of the user with this email (case-insensitive), for the CLI's `--owner`.
  public static func userId(email: String, database: any SQLDatabase) async throws -> Int64? {
    try await UserRepository(database: database).byEmail(email)?.id
  }
}
