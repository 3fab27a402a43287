import SmartLampCore
import SmartLampStore

/// API keys as the server administers them (CONTRACT §3): ``APIKeys`` makes, lists and revokes them (shared with
/// `smartlamp apikey`); this answers refusals with the API's errors and, when a key is revoked, tells open streams
/// at once, so a revoked key's stream closes without waiting for the next poll.
struct APIKeyAdministration: Sendable {
  let database: any SQLDatabase
  let accessChanges: AccessChanges

  /// A new key for `ownerUserId` and its secret (shown once).
  func create(name: String, scopes: APIScopes, ownerUserId: Int64, expiresAt: Int64?, createdBy: Int64?)
    async throws -> (client: APIKeys.Client, apiKey: String)
  {
    do {
      return try await APIKeys.create(
        database: database, name: name, scopes: scopes, ownerUserId: ownerUserId, expiresAt: expiresAt,
        createdBy: createdBy)
    } catch APIKeys.Failure.ownerNotFound {
      throw APIError.userNotFound("Owner user not found")
    } catch APIKeys.Failure.ownerInactive {
      throw APIError.validation(fieldErrors: ["ownerUserId": ["must be an active, non-archived user"]])
    }
  }

  func list() async throws -> [APIKeys.Client] {
    try await APIKeys.list(database: database)
  }

  /// Name and email of each key's owner (archived people included: their keys still list), by user id.
  func owners() async throws -> [Int64: (name: String, email: String)] {
    let users = try await Store(database: database).users.list(includeArchived: true)
    return Dictionary(users.map { ($0.id, (name: $0.name, email: $0.email)) }, uniquingKeysWith: { first, _ in first })
  }

  /// Revokes a key; `404` when there is none with this id.
  func revoke(_ id: Int64) async throws -> APIKeys.Client {
    let client: APIKeys.Client
    do {
      client = try await APIKeys.revoke(database: database, id: id)
    } catch APIKeys.Failure.notFound {
      throw APIError.apiClientNotFound()
    }
    accessChanges.changed()
    return client
  }
}
