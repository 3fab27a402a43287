import HTTPTypes
import Hummingbird

/// CSRF rule of CONTRACT §3: a cookie-authenticated request that mutates must send its body as
/// `application/json` (a cross-site form cannot) and, when it names an `Origin`, an allowed or the same origin.
/// The refresh and logout routes (refresh cookie, no body) get the origin rule only. Bearer and API-key requests
/// are not exposed to CSRF and pass.
struct CSRFPolicy: Sendable {
  let allowedOrigins: Set<String>

  static let mutatingMethods: Set<HTTPRequest.Method> = [.post, .put, .patch, .delete]

  func check(_ request: Request, context: AppRequestContext) throws(APIError) {
    guard Self.mutatingMethods.contains(request.method) else { return }
    let isAuthRoute = request.uri.path.hasPrefix(SessionCookies.refreshPath + "/")
    let cookieAuthenticated = context.authenticated?.via == .cookie
    let carriesRefreshCookie = isAuthRoute && SessionCookies.value(SessionCookies.refreshName, in: request) != nil
    guard cookieAuthenticated || carriesRefreshCookie else { return }
    if let origin = request.headers[.origin], !isAllowed(origin: origin, request: request) {
      throw Self.refusal("Origin \(origin.prefix(100)) is not allowed")
    }
    if request.headers[HTTPField.Name("Sec-Fetch-Site")!]?.lowercased() == "cross-site",
      request.headers[.origin].map({ allowedOrigins.contains($0.lowercased()) }) != true
    {
      throw Self.refusal("Cross-site request refused")
    }
    // Forms always send a Content-Type; a body-less DELETE or POST from a script sends none and is covered by the
    // origin rule above.
    let contentType = request.headers[.contentType]
    let hasBody = (request.headers[.contentLength].flatMap(Int.init) ?? 0) > 0
    if !isAuthRoute, contentType != nil || hasBody, !Request.isJSON(contentType) {
      throw Self.refusal("Cookie-authenticated changes must be sent as application/json")
    }
  }

  func isAllowed(origin: String, request: Request) -> Bool {
    let lowered = origin.lowercased()
    if allowedOrigins.contains(lowered) { return true }
    guard let host = request.head.authority else { return false }
    return Self.authority(ofOrigin: lowered) == Self.normalise(authority: host.lowercased())
  }

  /// `host[:port]` of an origin, without the scheme's default port; nil for `null` or malformed values.
  static func authority(ofOrigin origin: String) -> String? {
    let scheme: String
    let rest: Substring
    if origin.hasPrefix("http://") {
      scheme = "http"
      rest = origin.dropFirst(7)
    } else if origin.hasPrefix("https://") {
      scheme = "https"
      rest = origin.dropFirst(8)
    } else {
      return nil
    }
    guard !rest.isEmpty, !rest.contains("/") else { return nil }
    let defaultPort = scheme == "http" ? ":80" : ":443"
    return rest.hasSuffix(defaultPort) ? String(rest.dropLast(defaultPort.count)) : String(rest)
  }

  static func normalise(authority: String) -> String {
    for port in [":80", ":443"] where authority.hasSuffix(port) { return String(authority.dropLast(port.count)) }
    return authority
  }

  static func refusal(_ message: String) -> APIError {
    APIError(.forbidden, code: "FORBIDDEN_ORIGIN", message: message)
  }
}
