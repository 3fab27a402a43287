import SmartLampCore

/// The routes' door to ``Authorization``: every accounts route asks it, handlers hold no permission logic.
extension AppRequestContext {
  /// The caller when it may perform `action`, else the right 401 or 403.
  func authorize(_ action: Authorization.GlobalAction) throws(APIError) -> AuthenticatedPrincipal {
    let caller = try requirePrincipal()
    if case .denied(let denial) = Authorization.check(action, principal: caller.principal) {
      throw APIError(denial)
    }
    return caller
  }

  /// Like ``authorize(_:)`` for actions only a logged-in user may take (profile).
  func authorizeUser(_ action: Authorization.GlobalAction) throws(APIError) -> (UserPrincipal, AuthenticatedPrincipal) {
    let caller = try authorize(action)
    guard case .user(let user) = caller.principal else { throw APIError(.userOnly) }
    return (user, caller)
  }
}

extension APIError {
  /// The error answering a denial (CONTRACT §2).
  init(_ denial: Authorization.Denial) {
    switch denial {
    case .missingScope(let scope):
      self.init(
        .forbidden, code: "FORBIDDEN_SCOPE", message: "Required scope is missing",
        details: ["scope": .string(scope.rawValue)])
    case .adminRequired:
      self.init(.forbidden, code: "FORBIDDEN_ADMIN_REQUIRED", message: "Admin role required")
    case .deviceAccess:
      self.init(.forbidden, code: "FORBIDDEN_DEVICE_ACCESS", message: "Device access denied")
    case .userOnly:
      self.init(.forbidden, code: "FORBIDDEN_DEVICE_ACCESS", message: "User JWT required for this endpoint")
    }
  }
}
