import Foundation
import Hummingbird
import SmartLampCore
import SmartLampStore

/// Resolves the caller (UPSTREAM §4.1) into `context.auth`; guards in the routes decide what it may do.
///
/// A bearer token is tried as an access JWT, then as an API key; the `auth_token` cookie only as a JWT. A valid
/// JWT also needs a live session and an active, non-archived user (read at most once per `auth.session-cache-ms`;
/// see ``SessionCache``), so logout, password changes and archival take effect at once. Cookie-authenticated mutating requests then pass the CSRF check.
struct AuthenticationMiddleware: RouterMiddleware {
  typealias Context = AppRequestContext
  let services: AppServices

  /// API keys' `last_used_at` is written at most this often per key.
  static let lastUsedGranularityMs: Int64 = 60_000

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    let path = request.uri.path
    guard path.hasPrefix("/api/") || path == "/metrics" else { return try await next(request, context) }
    var context = context
    context.auth = try await resolve(request)
    if let principal = context.authenticated {
      context.logger[metadataKey: "principal"] = .string(principal.principal.key)
    }
    try CSRFPolicy(allowedOrigins: services.accounts.allowedOrigins).check(request, context: context)
    return try await next(request, context)
  }

  func resolve(_ request: Request) async throws -> AuthState {
    let accounts = services.accounts
    let token: String
    let via: AuthenticatedPrincipal.Via
    if let bearer = Self.bearerToken(request) {
      token = bearer
      via = .bearer
    } else if let cookie = SessionCookies.value(SessionCookies.accessName, in: request) {
      token = cookie
      via = .cookie
    } else {
      return .anonymous
    }
    let failure: AuthFailure
    do {
      // The server's clock (a test's mock moves it past a cached token's expiry).
      let wallTime = Date(timeIntervalSince1970: Double(services.lamps.clock.epochMilliseconds()) / 1000)
      let claims = try accounts.tokens.verify(token, now: wallTime)
      guard let userId = claims.userId else { return .failed(.invalidToken) }
      let now = Timestamp.nowMillis()
      let sid = claims.sid
      let store = accounts.store
      guard
        let record = try await accounts.sessions.liveUser(
          sessionId: sid, userId: userId,
          read: { try await store.sessions.liveUser(sessionId: sid, userId: userId, now: now) })
      else {
        return .failed(.invalidToken)
      }
      let user = AccountUser(record)
      var principal = user.principal
      principal.sessionId = sid
      return .authenticated(AuthenticatedPrincipal(principal: .user(principal), via: via, sessionID: sid))
    } catch let error as AccessTokenError {
      failure = error == .expired ? .expiredToken : .invalidToken
    }
    // A cookie is never tried as an API key (UPSTREAM §4.1).
    guard via == .bearer else { return .failed(failure) }
    return try await resolveAPIKey(token) ?? .failed(failure)
  }

  /// The API key's principal, a failure for a known but unusable key, or nil when no key has this hash.
  private func resolveAPIKey(_ token: String) async throws -> AuthState? {
    guard token.utf8.count <= 512 else { return nil }
    let hash = SecretTokens.sha256Hex(token)
    let keys = services.accounts.store.apiKeys
    guard let found = try await keys.lookup(hash: hash) else { return nil }
    let now = Timestamp.nowMillis()
    let client = found.key
    guard client.isActive, client.revokedAt == nil else { return .failed(.invalidToken) }
    guard client.expiresAt.map({ $0 > now }) ?? true else { return .failed(.expiredToken) }
    if client.lastUsedAt.map({ $0 < now - Self.lastUsedGranularityMs }) ?? true {
      do {
        try await keys.touchLastUsed(client.id, now: now, minimumIntervalMillis: Self.lastUsedGranularityMs)
      } catch {
        services.logger.warning("could not record API key use", metadata: ["error": "\(error)"])
      }
    }
    let principal = APIKeyPrincipal(
      clientId: client.id, name: client.name, scopes: client.scopes, ownerUserId: client.ownerUserId,
      ownerRole: found.ownerRole)
    return .authenticated(AuthenticatedPrincipal(principal: .apiKey(principal), via: .apiKey, sessionID: nil))
  }

  static func bearerToken(_ request: Request) -> String? {
    guard let header = request.headers[.authorization], header.count > 7,
      header.prefix(7).lowercased() == "bearer "
    else { return nil }
    let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
    return token.isEmpty ? nil : token
  }
}

extension AppRequestContext {
  /// The resolved principal, or nil (anonymous or failed).
  var authenticated: AuthenticatedPrincipal? {
    if case .authenticated(let principal) = auth { return principal }
    return nil
  }
}
