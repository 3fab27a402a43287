import HTTPTypes
import Hummingbird

/// The two session cookies of CONTRACT §3: `auth_token` (the access JWT, `Path=/`) and `refresh_token` (the opaque
/// refresh token, `Path=/api/v1/auth` so no other route ever sees it). Both `HttpOnly`; `SameSite` from the
/// configuration; `Secure` on HTTPS or when configured.
struct SessionCookies: Sendable {
  static let accessName = "auth_token"
  static let refreshName = "refresh_token"
  static let refreshPath = "/api/v1/auth"

  let accessTTL: Int
  let refreshTTL: Int
  let sameSite: Configuration.SameSite
  let security: Configuration.CookieSecurity

  init(configuration: Configuration) {
    accessTTL = configuration.accessTokenTTLSec
    refreshTTL = configuration.refreshTokenTTLSec
    sameSite = configuration.cookieSameSite
    security = configuration.cookieSecure
  }

  func isSecure(_ context: AppRequestContext) -> Bool {
    switch security {
    case .always: true
    case .never: sameSite == .none  // browsers drop `SameSite=None` cookies without `Secure`
    case .auto: context.isSecure || sameSite == .none
    }
  }

  func issue(accessToken: String, refreshToken: String, context: AppRequestContext) -> [String] {
    [
      cookie(Self.accessName, accessToken, path: "/", maxAge: accessTTL, context: context),
      cookie(Self.refreshName, refreshToken, path: Self.refreshPath, maxAge: refreshTTL, context: context),
    ]
  }

  /// Deletes both cookies, and a refresh cookie an upstream server may have left at `Path=/`.
  func clear(context: AppRequestContext) -> [String] {
    [
      cookie(Self.accessName, "", path: "/", maxAge: 0, context: context),
      cookie(Self.refreshName, "", path: Self.refreshPath, maxAge: 0, context: context),
      cookie(Self.refreshName, "", path: "/", maxAge: 0, context: context),
    ]
  }

  private func cookie(_ name: String, _ value: String, path: String, maxAge: Int, context: AppRequestContext)
    -> String
  {
    var parts = ["\(name)=\(value)", "Path=\(path)", "Max-Age=\(maxAge)", "HttpOnly"]
    switch sameSite {
    case .lax: parts.append("SameSite=Lax")
    case .strict: parts.append("SameSite=Strict")
    case .none: parts.append("SameSite=None")
    }
    if isSecure(context) { parts.append("Secure") }
    return parts.joined(separator: "; ")
  }

  static func headers(_ cookies: [String]) -> HTTPFields {
    var fields = HTTPFields()
    for cookie in cookies { fields.append(HTTPField(name: .setCookie, value: cookie)) }
    return fields
  }

  /// The value of a request cookie, or nil. Reads every `Cookie` header (HTTP/2 may split them); see
  /// ``CookieHeader`` for the rules.
  static func value(_ name: String, in request: Request) -> String? {
    for field in request.headers where field.name == .cookie {
      let found = field.withUnsafeBytesOfValue { bytes in
        CookieHeader.isASCII(bytes)
          ? CookieHeader.lookup(name, in: bytes) : CookieHeader.legacyLookup(name, in: field.value)
      }
      if case .found(let value) = found { return value }
    }
    return nil
  }
}
