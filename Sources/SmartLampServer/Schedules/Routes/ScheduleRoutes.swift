import Hummingbird
import SmartLampCore
import SmartLampStore

/// `/api/v1/schedules…` (UPSTREAM §5.6, corrected per CONTRACT §9): visibility by the caller's schedule
/// permission on the device, field validation before any side effect, `Idempotency-Key` on every mutation.
/// A key whose owner is archived or inactive gets `403`, as on the device routes.
struct ScheduleRoutes: Sendable {
  let lamps: LampServices
  var schedules: ScheduleService { ScheduleService(lamps: lamps) }

  static let defaultRunLimit = 100

  func add(to api: RouterGroup<AuthenticatedContext>) {
    api.get("schedules", use: list)
    api.post("schedules", use: create)
    api.get("schedules/:scheduleId", use: show)
    api.patch("schedules/:scheduleId", use: update)
    api.delete("schedules/:scheduleId", use: delete)
    api.get("schedules/:scheduleId/runs", use: runs)
  }

  func list(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorizeActing(scope: .read)
    let entries = try await schedules.list(for: context.principal)
    return try EnvelopeResponse.success(entries.map(ScheduleListItemJSON.init), requestID: context.requestID)
  }

  func show(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorizeActing(scope: .read)
    let schedule = try await schedules.schedule(
      try context.parameters.require("scheduleId"), for: context.principal)
    return try EnvelopeResponse.success(ScheduleJSON(schedule), requestID: context.requestID)
  }

  func create(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorizeActing(scope: .schedule)
    var fields = try await request.bodyFields()
    let body = ScheduleBody(&fields, creating: true)
    try fields.finish()
    let draft = try schedules.draft(body, caller: context.principal)
    return try await lamps.idempotency.perform(
      request, context: context, principal: context.principal, body: fields.raw, required: true
    ) {
      let record = try await schedules.create(draft, caller: context.principal)
      return try EnvelopeResponse.success(ScheduleJSON(record), status: .created, requestID: context.requestID)
    }
  }

  func update(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorizeActing(scope: .schedule)
    let id = try context.parameters.require("scheduleId")
    var fields = try await request.bodyFields()
    let body = ScheduleBody(&fields, creating: false)
    try fields.finish()
    return try await lamps.idempotency.perform(
      request, context: context, principal: context.principal, body: fields.raw, required: true
    ) {
      let updated = try await schedules.update(id, with: body, caller: context.principal)
      return try EnvelopeResponse.success(ScheduleJSON(updated), requestID: context.requestID)
    }
  }

  func delete(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorizeActing(scope: .schedule)
    let id = try context.parameters.require("scheduleId")
    return try await lamps.idempotency.perform(
      request, context: context, principal: context.principal, body: nil, required: true
    ) {
      struct Deleted: Encodable {
        let deleted: Bool
        let scheduleId: Int64
      }
      let deleted = try await schedules.delete(id, caller: context.principal)
      return try EnvelopeResponse.success(Deleted(deleted: true, scheduleId: deleted), requestID: context.requestID)
    }
  }

  /// Upstream answers an array of at most 100; with `limit` or `cursor` the page shape of CONTRACT §5.
  func runs(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorizeActing(scope: .read)
    let id = try context.parameters.require("scheduleId")
    var errors = FieldErrors()
    let query = PageQuery(
      request, defaultLimit: Self.defaultRunLimit, maximum: ScheduleRepository.maximumRunPageSize, errors: &errors)
    let before = query.rowID(errors: &errors)
    try errors.finish()
    let page = try await schedules.runs(of: id, for: context.principal, limit: query.limit, before: before)
    let items = page.items.map(ScheduleRunJSON.init)
    guard query.isPaginated else { return try EnvelopeResponse.success(items, requestID: context.requestID) }
    return try EnvelopeResponse.success(
      Page(items: items, nextCursor: page.nextCursor.map(String.init)), requestID: context.requestID)
  }
}
