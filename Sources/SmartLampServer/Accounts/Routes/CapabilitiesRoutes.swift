import Hummingbird
import SmartLampCore

/// `GET /api/v1/integrations/capabilities` (UPSTREAM §5.1, scope `read`): what an integration may call.
///
/// The endpoint list comes from the router itself, so it names every route the server serves; upstream's list was
/// written by hand and left out commands, users, profile and realtime (UPSTREAM §20.38).
struct CapabilitiesRoutes: Sendable {
  let routes: RouteTable

  func add(to api: RouterGroup<AuthenticatedContext>) {
    api.get("integrations/capabilities", use: capabilities)
  }

  struct Capabilities: Encodable {
    let version: String
    let scopes: [String]
    /// Upstream's format: the path for GET, `"<path> [<METHOD>]"` for anything else.
    let endpoints: [String]
  }

  func capabilities(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.listDevices)
    let endpoints = routes.all()
      .filter { $0.path.hasPrefix("/api/v1/") }
      .map { $0.method == "GET" ? $0.path : "\($0.path) [\($0.method)]" }
    let data = Capabilities(
      version: "v1", scopes: APIScope.allCases.map(\.rawValue), endpoints: Array(Set(endpoints)).sorted())
    return try EnvelopeResponse.success(data, requestID: context.requestID)
  }
}
