import HTTPTypes
import Hummingbird

/// Security headers on every response. The dashboard's policy allows only its own scripts, styles and API;
/// API answers get the strictest policy since they are never rendered as documents.
struct SecurityHeadersMiddleware: RouterMiddleware {
  typealias Context = AppRequestContext
  /// Sent only when the server speaks HTTPS itself and the household asked for it (`http.hsts-max-age-sec`):
  /// once a browser has seen it, plain HTTP to this host stops working for that long.
  var hstsMaxAgeSec = 0

  static let dashboardPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    + "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
  static let apiPolicy = "default-src 'none'; frame-ancestors 'none'"

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    var response = try await next(request, context)
    let isAPI = request.uri.path.hasPrefix("/api/") || request.uri.path == "/api"
    response.headers[.contentSecurityPolicy] = isAPI ? Self.apiPolicy : Self.dashboardPolicy
    response.headers[.xContentTypeOptions] = "nosniff"
    response.headers[.xFrameOptions] = "DENY"
    response.headers[.referrerPolicy] = "no-referrer"
    if hstsMaxAgeSec > 0 { response.headers[.strictTransportSecurity] = "max-age=\(hstsMaxAgeSec)" }
    if isAPI, response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
    return response
  }
}

extension HTTPField.Name {
  static let xFrameOptions = Self("X-Frame-Options")!
  static let referrerPolicy = Self("Referrer-Policy")!
}
