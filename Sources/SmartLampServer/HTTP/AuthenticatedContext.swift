import Hummingbird
import Logging
import SmartLampCore

/// The context of every route that needs a caller. It cannot exist without one (Hummingbird's
/// `ChildRequestContext`): a route registered on a group of this context answers the right 401 before its handler
/// runs — expired token, invalid token, or no credentials at all — so no handler can forget the check.
public struct AuthenticatedContext: ChildRequestContext, APIContext {
  public var coreContext: CoreRequestContextStorage
  public let requestID: String
  public let clientIP: String
  public let isSecure: Bool
  /// Who is calling and how they authenticated.
  public let caller: AuthenticatedPrincipal

  public init(context: AppRequestContext) throws {
    switch context.auth {
    case .authenticated(let caller): self.caller = caller
    case .failed(.expiredToken): throw APIError(.unauthorized, code: "AUTH_EXPIRED_TOKEN", message: "Token expired")
    case .failed(.invalidToken): throw APIError(.unauthorized, code: "AUTH_INVALID_TOKEN", message: "Invalid token")
    case .anonymous: throw APIError(.unauthorized, code: "NOT_AUTHENTICATED", message: "Authentication required")
    }
    coreContext = context.coreContext
    requestID = context.requestID
    clientIP = context.clientIP
    isSecure = context.isSecure
  }

  public var maxUploadSize: Int { Configuration.maxBodyBytes }

  public var principal: Principal { caller.principal }

  /// Refuses with the error of the denial, if any (the one mapping from ``Authorization`` to HTTP).
  public func require(_ decision: Authorization.Decision) throws(APIError) {
    if case .denied(let denial) = decision { throw APIError(denial) }
  }

  /// The caller may perform `action` (scope of a key, role of the person).
  public func authorize(_ action: Authorization.GlobalAction) throws(APIError) {
    try require(Authorization.check(action, principal: principal))
  }

  /// An API key holds `scope` (people hold every scope).
  public func authorize(scope: APIScope) throws(APIError) {
    try require(Authorization.checkScope(scope, principal: principal))
  }

  /// A key holding `scope` whose owner may still act, or a person: a key of an archived or inactive owner gets
  /// `403` rather than an empty answer.
  public func authorizeActing(scope: APIScope) throws(APIError) {
    try authorize(scope: scope)
    guard Authorization.effectiveRole(of: principal) != nil else { throw APIError(.deviceAccess) }
  }

  /// A logged-in person (not an API key).
  public func requireUser() throws(APIError) -> UserPrincipal {
    guard case .user(let user) = principal else { throw APIError(.userOnly) }
    return user
  }
}

extension APIError {
  /// The error answering a denial (CONTRACT §2); the only place denials become HTTP.
  public init(_ denial: Authorization.Denial) {
    switch denial {
    case .missingScope(let scope):
      self.init(
        .forbidden, code: "FORBIDDEN_SCOPE", message: "Required scope is missing",
        details: ["scope": .string(scope.rawValue)])
    case .adminRequired:
      self.init(.forbidden, code: "FORBIDDEN_ADMIN_REQUIRED", message: "Admin role required")
    case .deviceAccess:
      self.init(.forbidden, code: "FORBIDDEN_DEVICE_ACCESS", message: "No access to this device")
    case .userOnly:
      self.init(.forbidden, code: "FORBIDDEN_DEVICE_ACCESS", message: "User JWT required for this endpoint")
    }
  }
}
