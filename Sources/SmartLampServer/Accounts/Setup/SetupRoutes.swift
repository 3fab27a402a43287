import Hummingbird
import SmartLampCore

/// `GET|POST /api/v1/setup` (public): the first run in the dashboard. `POST` creates the first administrator with
/// the setup code `smartlamp serve` printed, and signs it in with the same cookies as a login.
struct SetupRoutes: Sendable {
  let services: AppServices
  let setup: SetupService

  init(services: AppServices) {
    self.services = services
    setup = SetupService(
      accounts: services.accounts, demo: services.configuration.demo,
      demoDevices: services.lamps.demo?.entities.map(\.deviceId.rawValue) ?? [])
  }

  func add(to api: RouterGroup<AppRequestContext>) {
    api.get("setup", use: status)
    api.post("setup", use: complete)
  }

  func status(_ request: Request, context: AppRequestContext) async throws -> Response {
    try EnvelopeResponse.success(try await setup.status(), requestID: context.requestID)
  }

  func complete(_ request: Request, context: AppRequestContext) async throws -> Response {
    if try await setup.isDone() { throw APIError.setupAlreadyDone }
    var fields = try await request.bodyFields()
    let code = fields.value("setupCode")
    let name = fields.name(required: true)
    let email = fields.email(required: true)
    let password = fields.password(required: true)
    guard fields.errors.isEmpty, let name, let email, let password else {
      let gate = try await setup.gate(clientIP: context.clientIP)
      guard gate.allowed else { throw Self.limited(gate) }
      var error = APIError.validation(fieldErrors: fields.errors.errors)
      error.headers = gate.headers
      throw error
    }
    // A missing or non-text code is a wrong code (403, counted), not a validation error.
    let typed: String? = if case .some(.string(let text)) = code { text } else { nil }
    switch try await setup.complete(
      code: typed, name: name, email: email, password: password, clientIP: context.clientIP,
      userAgent: request.headers[.userAgent])
    {
    case .limited(let decision): throw Self.limited(decision)
    case .alreadyDone: throw APIError.setupAlreadyDone
    case .invalidCode(let decision): throw APIError.setupCodeInvalid(headers: decision.headers)
    case .created(let issued):
      let cookies = services.accounts.cookies.issue(
        accessToken: issued.accessToken, refreshToken: issued.refreshToken, context: context)
      return try EnvelopeResponse.success(
        ["user": UserSummary(issued.user)], status: .created, requestID: context.requestID,
        headers: SessionCookies.headers(cookies))
    }
  }

  static func limited(_ decision: RateLimitDecision) -> APIError {
    var error = decision.error
    error.message = "Too many setup attempts"
    return error
  }
}
