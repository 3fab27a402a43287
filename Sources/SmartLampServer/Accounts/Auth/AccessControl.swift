import SmartLampCore

/// The older guard of the accounts routes, kept until every route runs on ``AuthenticatedContext``.
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
