import Hummingbird
import SmartLampCore

/// Registers the routes of accounts and access (auth, profile, users, assignments, API keys, bootstrap).
func addAccountsRoutes(to router: Router<AppRequestContext>, _ services: AppServices) {
  let api = router.group("/api/v1")
  AuthRoutes(services: services).add(to: api.group("auth"))
  BootstrapRoute(services: services).add(to: api)
  ProfileRoutes(services: services).add(to: api.group("profile"))
  UsersRoutes(services: services).add(to: api.group("users"))
  APIClientsRoutes(services: services).add(to: api.group("integrations/clients"))
  CapabilitiesRoute(services: services).add(to: api.group("integrations/capabilities"))
}

extension AppRequestContext {
  /// A numeric path parameter, or `400 VALIDATION_ERROR` naming it.
  func idParameter(_ name: String) throws(APIError) -> Int64 {
    guard let text = parameters.get(name), text.count <= 19, let id = Int64(text), id > 0 else {
      throw APIError.validation("Invalid \(name)", fieldErrors: [name: ["must be a positive integer"]])
    }
    return id
  }
}

extension FieldErrors {
  /// `400 VALIDATION_ERROR` with `fieldErrors` when anything was recorded.
  func throwIfInvalid() throws(APIError) {
    if !isEmpty { throw APIError.validation(fieldErrors: errors) }
  }
}

extension JSONValue {
  init(_ value: String?) { self = value.map(JSONValue.string) ?? .null }
  init(_ value: Int64?) { self = value.map { .int(Int($0)) } ?? .null }
}
