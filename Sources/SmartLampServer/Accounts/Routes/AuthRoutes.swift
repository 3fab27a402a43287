import Hummingbird
import SmartLampCore

/// `POST /api/v1/auth/login|refresh|logout` (UPSTREAM §4.5, CONTRACT §3).
struct AuthRoutes: Sendable {
  let accounts: AccountsServices

  /// Public routes: they answer without a caller (logout also ends the session of one, if any).
  func add(to api: RouterGroup<AppRequestContext>) {
    api.post("auth/login", use: login)
    api.post("auth/refresh", use: refresh)
    api.post("auth/logout", use: logout)
  }

  func login(_ request: Request, context: AppRequestContext) async throws -> Response {
    var fields = try await request.bodyFields()
    let email = fields.email(required: true)
    let password = fields.password(required: true)
    guard let email, let password, fields.errors.isEmpty else {
      // Validation failures do not count as attempts, but a blocked client still learns only that it is blocked.
      let gate = try await accounts.limiter.check(keys: LoginLimiter.keys(ip: context.clientIP, email: nil))
      guard gate.allowed else { throw gate.error }
      var error = APIError.validation(fieldErrors: fields.errors.errors)
      error.headers = gate.headers
      throw error
    }
    let outcome = try await accounts.login(
      email: email, password: password, clientIP: context.clientIP,
      userAgent: request.headers[.userAgent])
    switch outcome {
    case .limited(let decision):
      throw decision.error
    case .invalidCredentials(let decision):
      throw APIError(
        .unauthorized, code: "AUTH_INVALID_CREDENTIALS", message: "Invalid email or password",
        headers: decision.headers)
    case .success(let issued, let decision):
      var headers = decision.headers
      headers.append(
        contentsOf: SessionCookies.headers(
          accounts.cookies.issue(
            accessToken: issued.accessToken, refreshToken: issued.refreshToken, context: context)))
      return try EnvelopeResponse.success(
        ["user": LoginUser(issued.user)], requestID: context.requestID, headers: headers)
    }
  }

  struct RefreshData: Encodable {
    let refreshed: Bool
    let user: LoginUser
  }

  func refresh(_ request: Request, context: AppRequestContext) async throws -> Response {
    let clear = SessionCookies.headers(accounts.cookies.clear(context: context))
    guard let token = SessionCookies.value(SessionCookies.refreshName, in: request) else {
      throw APIError(.unauthorized, code: "AUTH_INVALID_TOKEN", message: "Refresh token is required", headers: clear)
    }
    switch try await accounts.refresh(
      token: token, clientIP: context.clientIP, userAgent: request.headers[.userAgent])
    {
    case .refused(let expired, let message):
      throw APIError(
        .unauthorized, code: expired ? "AUTH_EXPIRED_TOKEN" : "AUTH_INVALID_TOKEN", message: message, headers: clear)
    case .success(let issued):
      let cookies = accounts.cookies.issue(
        accessToken: issued.accessToken, refreshToken: issued.refreshToken, context: context)
      return try EnvelopeResponse.success(
        RefreshData(refreshed: true, user: LoginUser(issued.user)), requestID: context.requestID,
        headers: SessionCookies.headers(cookies))
    }
  }

  func logout(_ request: Request, context: AppRequestContext) async throws -> Response {
    try await accounts.logout(
      refreshToken: SessionCookies.value(SessionCookies.refreshName, in: request),
      sessionId: context.authenticated?.sessionID)
    return try EnvelopeResponse.success(
      ["loggedOut": true], requestID: context.requestID,
      headers: SessionCookies.headers(accounts.cookies.clear(context: context)))
  }
}
