import Hummingbird
import Logging
import NIOCore
import SmartLampCore

/// The request context of every route: the request id, the socket peer, and the principal that the
/// authentication middleware resolved (nil when anonymous).
public struct AppRequestContext: RequestContext {
  public var coreContext: CoreRequestContextStorage
  /// Set first by ``RequestIDMiddleware``; every envelope and log line carries it.
  public var requestID: String = ""
  /// The TCP peer's address (before any trusted-proxy rewriting).
  public let peerAddress: String?
  /// The client's address as the server believes it (see ``ClientAddressMiddleware``).
  public var clientIP: String = "unknown"
  /// Whether the request arrived over TLS (directly or through a trusted proxy saying so).
  public var isSecure = false
  /// Filled by the authentication middleware.
  public var auth: AuthState = .anonymous

  public init(source: ApplicationRequestContextSource) {
    coreContext = .init(source: source)
    peerAddress = source.channel.remoteAddress?.ipAddress
    clientIP = peerAddress ?? "unknown"
  }

  public var maxUploadSize: Int { Configuration.maxBodyBytes }
}

/// Who the request is from, or why credentials were refused.
public enum AuthState: Sendable {
  case anonymous
  case failed(AuthFailure)
  case authenticated(AuthenticatedPrincipal)
}

public enum AuthFailure: Sendable, Equatable {
  case invalidToken
  case expiredToken
}

/// A principal plus how it authenticated (the auth middleware fills it).
public struct AuthenticatedPrincipal: Sendable {
  public enum Via: Sendable, Equatable { case cookie, bearer, apiKey }
  public var principal: Principal
  public var via: Via
  /// The login session behind a user token; nil for API keys.
  public var sessionID: Int64?

  public init(principal: Principal, via: Via, sessionID: Int64?) {
    self.principal = principal
    self.via = via
    self.sessionID = sessionID
  }
}
