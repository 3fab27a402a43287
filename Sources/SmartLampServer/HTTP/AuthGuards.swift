import SmartLampCore

/// Route guards (upstream-spec §2.5 with CONTRACT's codes). Handlers call one of these first; the decision of what
/// a principal may do to a device stays in `SmartLampCore.Authorization`.
extension AppRequestContext {
  /// The caller, or the right 401: expired token, invalid token, or no credentials at all.
  public func requirePrincipal() throws(APIError) -> AuthenticatedPrincipal {
    switch auth {
    case .authenticated(let principal): return principal
    case .failed(.expiredToken): throw APIError(.unauthorized, code: "AUTH_EXPIRED_TOKEN", message: "Token expired")
    case .failed(.invalidToken): throw APIError(.unauthorized, code: "AUTH_INVALID_TOKEN", message: "Invalid token")
    case .anonymous:
      throw APIError(.unauthorized, code: "NOT_AUTHENTICATED", message: "Authentication required")
    }
  }

  /// A user or an API key holding `scope` (users carry every scope).
  public func requirePrincipal(scope: APIScope) throws(APIError) -> Principal {
    let caller = try requirePrincipal()
    if case .apiKey(let key) = caller.principal, !key.scopes.contains(scope) {
      throw APIError(
        .forbidden, code: "FORBIDDEN_SCOPE", message: "Required scope is missing",
        details: ["scope": .string(scope.rawValue)])
    }
    return caller.principal
  }

  /// A logged-in user (not an API key).
  public func requireUser() throws(APIError) -> UserPrincipal {
    let caller = try requirePrincipal()
    guard case .user(let user) = caller.principal else {
      throw APIError(.forbidden, code: "FORBIDDEN_DEVICE_ACCESS", message: "User JWT required for this endpoint")
    }
    return user
  }

  /// A logged-in admin, or an API key with the `admin` scope whose owner is an admin.
  public func requireAdmin() throws(APIError) -> Principal {
    let caller = try requirePrincipal()
    if case .apiKey(let key) = caller.principal, !key.scopes.contains(.admin) {
      throw APIError(
        .forbidden, code: "FORBIDDEN_SCOPE", message: "Required scope is missing", details: ["scope": "admin"])
    }
    guard Authorization.isAdmin(caller.principal) else {
      throw APIError(.forbidden, code: "FORBIDDEN_ADMIN_REQUIRED", message: "Admin role required")
    }
    return caller.principal
  }
}
