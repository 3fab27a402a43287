import Crypto
import Hummingbird

/// The `/metrics` route and who may read it.
struct MetricsController {
  let services: AppServices

  func addRoutes(to router: Router<AppRequestContext>) {
    router.get("/metrics", use: scrape)
  }

  @Sendable func scrape(_ request: Request, context: AppRequestContext) async throws -> Response {
    try authorise(request, context: context)
    let text = Exposition.render(await services.metrics.collect(services))
    var headers = HTTPFields()
    headers[.contentType] = Exposition.contentType
    headers[.cacheControl] = "no-store"
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
  }

  /// The configured metrics token as a bearer token, else an admin principal (401/403 as other admin routes).
  /// The authentication middleware has already answered a bearer token it does not know with `.failed`, so the
  /// token is checked first; a wrong one then gets the usual 401.
  func authorise(_ request: Request, context: AppRequestContext) throws(APIError) {
    if let expected = services.configuration.metricsToken, !expected.isEmpty,
      let presented = AuthenticationMiddleware.bearerToken(request),
      Self.tokensMatch(presented, expected)
    {
      return
    }
    _ = try context.requireAdmin()
  }

  /// Compares digests, so neither the content nor the length of the secret shapes the time taken.
  static func tokensMatch(_ presented: String, _ expected: String) -> Bool {
    ConstantTime.equals(
      Array(SHA256.hash(data: Array(presented.utf8))), Array(SHA256.hash(data: Array(expected.utf8))))
  }
}
