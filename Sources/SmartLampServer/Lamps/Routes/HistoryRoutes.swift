import Hummingbird
import SmartLampCore
import SmartLampStore

/// `GET /api/v1/devices/{deviceId}/history?limit&cursor&since`: what happened to a lamp, newest first, with who
/// did it (read permission on the lamp).
struct HistoryRoutes: Sendable {
  let lamps: LampServices
  var history: LampHistory { LampHistory(store: lamps.store) }

  func add(to api: RouterGroup<AuthenticatedContext>) {
    api.get("devices/:deviceId/history", use: list)
  }

  func list(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(scope: .read)
    var errors = FieldErrors()
    let query = PageQuery(
      request, defaultLimit: LampHistory.defaultPageSize, maximum: LampHistory.maximumPageSize, errors: &errors)
    var cursor: LampHistoryPosition?
    if let text = query.cursor {
      cursor = LampHistoryPosition(text: text)
      if cursor == nil { errors.add("cursor", "is not a valid cursor") }
    }
    var since: Int64?
    if let text = request.uri.queryParameters.get("since") {
      since = Int64(text).flatMap { $0 >= 0 ? $0 : nil }
      if since == nil { errors.add("since", "must be epoch milliseconds (a whole number ≥ 0)") }
    }
    try errors.finish()
    let (device, _) = try await lamps.authorisedDevice(
      try context.parameters.require("deviceId"), context: context, action: .view)
    return try EnvelopeResponse.success(
      try await history.page(of: device, limit: query.limit, after: cursor, since: since),
      requestID: context.requestID)
  }
}
