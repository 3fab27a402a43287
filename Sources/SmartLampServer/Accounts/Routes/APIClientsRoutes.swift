import Foundation
import Hummingbird
import SmartLampCore

/// `POST/GET/DELETE /api/v1/integrations/clients` (CONTRACT §3): API key management by user admins.
struct APIClientsRoutes: Sendable {
  let services: AppServices

  func add(to group: RouterGroup<AppRequestContext>) {
    group.get(use: list)
    group.post(use: create)
    group.delete(":clientId", use: revoke)
  }

  struct CreateBody: Decodable {
    let name: String?
    let scopes: [String]?
    let ownerUserId: Int64?
    let expiresAt: JSONValue?
  }

  /// Keys live at most this long (ten years); longer expiries are a typo.
  static let maximumLifetimeMs: Int64 = 10 * 366 * 24 * 3600 * 1000

  func create(_ request: Request, context: AppRequestContext) async throws -> Response {
    let caller = try context.authorize(.manageAPIKeys)
    let body = try await request.jsonBody().decode(CreateBody.self)
    var errors = FieldErrors()
    let name = Validation.name(body.name, into: &errors)
    var scopes: APIScopes?
    switch body.scopes.map(APIScopes.parse) {
    case nil: errors.add("scopes", "is required")
    case .success(let parsed): scopes = parsed
    case .failure(.empty): errors.add("scopes", "must not be empty")
    case .failure(.unknown(let value)):
      errors.add("scopes", "unknown scope '\(value.prefix(32))'; allowed: read, command, schedule, admin, *")
    }
    if (body.scopes?.count ?? 0) > 16 { errors.add("scopes", "must contain at most 16 entries") }
    let now = APITime.epochMilliseconds()
    let expiresAt = Self.expiry(body.expiresAt, now: now, into: &errors)
    try errors.throwIfInvalid()
    guard let name, let scopes else { throw APIError.validation() }
    let ownerUserId = body.ownerUserId ?? caller.principal.effectiveUserId ?? 0
    do {
      let (client, key) = try await APIKeys.create(
        database: services.accounts.store.database, name: name, scopes: scopes, ownerUserId: ownerUserId,
        expiresAt: expiresAt, createdBy: caller.principal.effectiveUserId)
      var data = client.json
      data["apiKey"] = .string(key)
      return try EnvelopeResponse.success(JSONValue.object(data), status: .created, requestID: context.requestID)
    } catch APIKeys.Failure.ownerNotFound {
      throw APIError(.notFound, code: "USER_NOT_FOUND", message: "Owner user not found")
    } catch APIKeys.Failure.ownerInactive {
      throw APIError.validation(fieldErrors: ["ownerUserId": ["must be an active, non-archived user"]])
    }
  }

  /// `expiresAt`: absent/null, epoch milliseconds, or an ISO-8601 UTC string; in the future, within ten years.
  static func expiry(_ value: JSONValue?, now: Int64, into errors: inout FieldErrors) -> Int64? {
    let millis: Int64?
    switch value {
    case nil, .null?: return nil
    case .int(let v)?: millis = Int64(v)
    case .string(let text)?:
      millis =
        text.count <= 64
        ? (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
          .map { Int64($0.timeIntervalSince1970 * 1000) }
          ?? (try? Date.ISO8601FormatStyle().parse(text)).map { Int64($0.timeIntervalSince1970 * 1000) } : nil
    default: millis = nil
    }
    guard let millis else {
      errors.add("expiresAt", "must be epoch milliseconds or an ISO-8601 UTC time")
      return nil
    }
    guard millis > now, millis - now <= maximumLifetimeMs else {
      errors.add("expiresAt", "must be in the future and within ten years")
      return nil
    }
    return millis
  }

  func list(_ request: Request, context: AppRequestContext) async throws -> Response {
    _ = try context.authorize(.manageAPIKeys)
    let clients = try await APIKeys.list(database: services.accounts.store.database)
    return try EnvelopeResponse.success(
      JSONValue.array(clients.map { .object($0.json) }), requestID: context.requestID)
  }

  func revoke(_ request: Request, context: AppRequestContext) async throws -> Response {
    _ = try context.authorize(.manageAPIKeys)
    let id = try context.idParameter("clientId")
    do {
      let client = try await APIKeys.revoke(database: services.accounts.store.database, id: id)
      services.accounts.accessChanges.changed()
      return try EnvelopeResponse.success(JSONValue.object(client.json), requestID: context.requestID)
    } catch APIKeys.Failure.notFound {
      throw APIError(.notFound, code: "NOT_FOUND", message: "API client not found")
    }
  }
}
