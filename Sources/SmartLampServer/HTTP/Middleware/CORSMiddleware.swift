import Hummingbird

/// CORS for `/api` paths from the configured allow-list (never `*`: the API uses credentials).
/// Preflights from allowed origins are answered here; others get no CORS headers, so browsers block them.
struct CORSMiddleware: RouterMiddleware {
  typealias Context = AppRequestContext
  let allowedOrigins: Set<String>

  static let allowMethods = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
  static let allowHeaders = "Content-Type, Authorization, Idempotency-Key, X-Request-Id, Last-Event-ID"
  static let exposeHeaders =
    "X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, Idempotent-Replayed"

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    guard request.uri.path.hasPrefix("/api"), let origin = request.headers[.origin] else {
      return try await next(request, context)
    }
    let allowed = allowedOrigins.contains(origin)
    if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
      var headers = HTTPFields()
      headers[.vary] = "Origin"
      if allowed {
        headers[.accessControlAllowOrigin] = origin
        headers[.accessControlAllowCredentials] = "true"
        headers[.accessControlAllowMethods] = Self.allowMethods
        headers[.accessControlAllowHeaders] = Self.allowHeaders
        headers[.accessControlMaxAge] = "600"
      }
      return Response(status: .noContent, headers: headers)
    }
    var response = try await next(request, context)
    response.headers[.vary] = "Origin"
    if allowed {
      response.headers[.accessControlAllowOrigin] = origin
      response.headers[.accessControlAllowCredentials] = "true"
      response.headers[.accessControlExposeHeaders] = Self.exposeHeaders
    }
    return response
  }
}
