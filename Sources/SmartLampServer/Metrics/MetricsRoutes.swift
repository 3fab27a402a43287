import Crypto
import Hummingbird
import SmartLampCore

/// The `/metrics` route and who may read it. It sits outside `/api/v1` and outside the authenticated group: a
/// scraper presents the metrics token, which is no caller the authentication middleware knows.
struct MetricsRoutes: Sendable {
  let services: AppServices

  func add(to root: RouterGroup<AppRequestContext>) {
    root.get("metrics", use: scrape)
  }

  func scrape(_ request: Request, context: AppRequestContext) async throws -> Response {
    try authorise(request, context: context)
    let text = Exposition.render(await services.metrics.collect(services))
    var headers = HTTPFields()
    headers[.contentType] = Exposition.contentType
    headers[.cacheControl] = "no-store"
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
  }

  /// The configured metrics token as a bearer token, else an admin — a person, or a key with the `admin` scope
  /// whose owner is one (401/403 as other admin routes). The authentication middleware has already answered a
  /// bearer token it does not know with `.failed`, so the token is checked first; a wrong one then gets the usual
  /// 401 from ``AuthenticatedContext``.
  func authorise(_ request: Request, context: AppRequestContext) throws {
    if let expected = services.configuration.metricsToken, !expected.isEmpty,
      let presented = AuthenticationMiddleware.bearerToken(request),
      Self.tokensMatch(presented, expected)
    {
      return
    }
    let caller = try AuthenticatedContext(context: context)
    try caller.authorize(scope: .admin)
    try caller.require(Authorization.isAdmin(caller.principal) ? .allowed : .denied(.adminRequired))
  }

  /// Compares digests, so neither the content nor the length of the secret shapes the time taken.
  static func tokensMatch(_ presented: String, _ expected: String) -> Bool {
    ConstantTime.equals(
      Array(SHA256.hash(data: Array(presented.utf8))), Array(SHA256.hash(data: Array(expected.utf8))))
  }
}
