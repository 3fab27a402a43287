import Foundation
import Hummingbird
import SmartLampCore
import SmartLampStore

/// `POST/GET/DELETE /api/v1/integrations/clients` (CONTRACT §3): API key management by user admins.
struct APIClientsRoutes: Sendable {
  let accounts: AccountsServices
  var apiKeys: APIKeyAdministration { accounts.apiKeys }

  /// Keys live at most this long (ten years); longer expiries are a typo.
  static let maximumLifetimeMs: Int64 = 10 * 366 * 24 * 3600 * 1000
  static let maximumScopes = 16

  func add(to api: RouterGroup<AuthenticatedContext>) {
    api.get("integrations/clients", use: list)
    api.post("integrations/clients", use: create)
    api.delete("integrations/clients/:clientId", use: revoke)
  }

  /// An API client as listed (never with its secret); `apiKey` only in the answer that created it. `ownerName` and
  /// `ownerEmail` (issue #8) are null without an owner or once the owner is gone.
  struct ClientJSON: Encodable, Sendable {
    let id: Int64
    let name: String
    let scopes: [String]
    @NullEncoded var keyPrefix: String?
    @NullEncoded var ownerUserId: Int64?
    @NullEncoded var createdByUserId: Int64?
    let isActive: Bool
    let createdAt: String
    @NullEncoded var expiresAt: Int64?
    @NullEncoded var lastUsedAt: Int64?
    @NullEncoded var revokedAt: Int64?
    @NullEncoded var ownerName: String?
    @NullEncoded var ownerEmail: String?
    let apiKey: String?

    init(_ client: APIKeys.Client, owner: (name: String, email: String)? = nil, apiKey: String? = nil) {
      id = client.id
      name = client.name
      scopes = client.scopes
      keyPrefix = client.keyPrefix
      ownerUserId = client.ownerUserId
      createdByUserId = client.createdByUserId
      isActive = client.isActive
      createdAt = client.createdAt
      expiresAt = client.expiresAt
      lastUsedAt = client.lastUsedAt
      revokedAt = client.revokedAt
      ownerName = owner?.name
      ownerEmail = owner?.email
      self.apiKey = apiKey
    }
  }

  func create(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.manageAPIKeys)
    var fields = try await request.bodyFields()
    let name = fields.name(required: true)
    let scopes = Self.scopes(&fields)
    let ownerUserId = fields.int("ownerUserId", in: Int.min...Int.max).map(Int64.init)
    let expiresAt = Self.expiry(&fields, now: Timestamp.nowMillis())
    try fields.finish()
    guard let name, let scopes else { throw APIError.validation() }
    let creator = context.principal.effectiveUserId
    let (client, key) = try await apiKeys.create(
      name: name, scopes: scopes, ownerUserId: ownerUserId ?? creator ?? 0, expiresAt: expiresAt, createdBy: creator)
    let owners = try await apiKeys.owners()
    return try EnvelopeResponse.success(
      ClientJSON(client, owner: client.ownerUserId.flatMap { owners[$0] }, apiKey: key), status: .created,
      requestID: context.requestID)
  }

  func list(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.manageAPIKeys)
    let clients = try await apiKeys.list()
    let owners = try await apiKeys.owners()
    return try EnvelopeResponse.success(
      clients.map { ClientJSON($0, owner: $0.ownerUserId.flatMap { owners[$0] }) }, requestID: context.requestID)
  }

  func revoke(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.manageAPIKeys)
    let client = try await apiKeys.revoke(try context.idParameter("clientId"))
    let owners = try await apiKeys.owners()
    return try EnvelopeResponse.success(
      ClientJSON(client, owner: client.ownerUserId.flatMap { owners[$0] }), requestID: context.requestID)
  }

  // MARK: fields

  /// `scopes`: a non-empty array of at most 16 known scope names (or `*`).
  static func scopes(_ fields: inout BodyFields) -> APIScopes? {
    guard let items = fields.array("scopes", maximumCount: maximumScopes, required: true) else { return nil }
    var names: [String] = []
    for (index, item) in items.enumerated() {
      guard case .string(let name) = item else {
        fields.add("scopes[\(index)]", "must be a string")
        return nil
      }
      names.append(name)
    }
    switch APIScopes.parse(names) {
    case .success(let scopes): return scopes
    case .failure(.empty): fields.add("scopes", "must not be empty")
    case .failure(.unknown(let value)):
      fields.add("scopes", "unknown scope '\(value.prefix(32))'; allowed: read, command, schedule, admin, *")
    }
    return nil
  }

  /// `expiresAt`: absent/null, epoch milliseconds, or an ISO-8601 UTC string; in the future, within ten years.
  static func expiry(_ fields: inout BodyFields, now: Int64) -> Int64? {
    let millis: Int64?
    switch fields.value("expiresAt") {
    case nil: return nil
    case .int(let value)?: millis = Int64(value)
    case .string(let text)?:
      millis =
        text.count <= 64
        ? (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
          .map { Int64($0.timeIntervalSince1970 * 1000) }
          ?? (try? Date.ISO8601FormatStyle().parse(text)).map { Int64($0.timeIntervalSince1970 * 1000) } : nil
    default: millis = nil
    }
    guard let millis else {
      fields.add("expiresAt", "must be epoch milliseconds or an ISO-8601 UTC time")
      return nil
    }
    guard millis > now, millis - now <= maximumLifetimeMs else {
      fields.add("expiresAt", "must be in the future and within ten years")
      return nil
    }
    return millis
  }
}
