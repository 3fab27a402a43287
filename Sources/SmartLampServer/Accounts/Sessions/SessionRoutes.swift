import Hummingbird
import SmartLampCore

/// `GET|DELETE /api/v1/auth/sessions[/{id}]`: a person's own sessions ("keluar dari sesi lain"). People only (API
/// keys have no sessions); admins see their own sessions here, never anyone else's.
struct SessionRoutes: Sendable {
  let sessions: SessionAdministration

  init(services: AppServices) {
    sessions = SessionAdministration(accounts: services.accounts)
  }

  func add(to api: RouterGroup<AuthenticatedContext>) {
    api.get("auth/sessions", use: list)
    api.delete("auth/sessions", use: revokeOthers)
    api.delete("auth/sessions/:sessionId", use: revoke)
  }

  func list(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    let user = try context.requireUser()
    return try EnvelopeResponse.success(
      try await sessions.list(userId: user.id, currentSessionId: context.caller.sessionID),
      requestID: context.requestID)
  }

  func revoke(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    let user = try context.requireUser()
    let text = try context.parameters.require("sessionId")
    guard text.count <= 19, let id = Int64(text), id > 0 else {
      throw APIError.validation(fieldErrors: ["sessionId": ["must be a positive integer"]])
    }
    try await sessions.revoke(sessionId: id, userId: user.id)
    struct Revoked: Encodable {
      let revoked: Bool
      let id: Int64
    }
    return try EnvelopeResponse.success(Revoked(revoked: true, id: id), requestID: context.requestID)
  }

  func revokeOthers(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    let user = try context.requireUser()
    guard let current = context.caller.sessionID else { throw APIError(.userOnly) }
    let revoked = try await sessions.revokeOthers(userId: user.id, currentSessionId: current)
    return try EnvelopeResponse.success(["revoked": revoked], requestID: context.requestID)
  }
}
