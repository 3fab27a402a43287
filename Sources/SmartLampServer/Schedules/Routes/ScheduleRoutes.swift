import Foundation
import HTTPTypes
import Hummingbird
import SmartLampCore
import SmartLampStore

/// `/api/v1/schedules…` (upstream-spec §5.6, corrected per CONTRACT §9): visibility by the caller's schedule
/// permission on the device, field validation before any side effect, `Idempotency-Key` on every mutation.
struct ScheduleRoutes {
  let lamps: LampServices

  static let defaultRunLimit = 100

  func addRoutes(to router: Router<AppRequestContext>) {
    router.get("/api/v1/schedules", use: list)
    router.post("/api/v1/schedules", use: create)
    router.get("/api/v1/schedules/:scheduleId", use: show)
    router.patch("/api/v1/schedules/:scheduleId", use: update)
    router.delete("/api/v1/schedules/:scheduleId", use: delete)
    router.get("/api/v1/schedules/:scheduleId/runs", use: runs)
  }

  @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
    let principal = try context.requireSchedulePrincipal(scope: .read)
    let filter = try await lamps.scheduleDeviceFilter(for: principal)
    let schedules = try await lamps.store.schedules.list(deviceInternalIds: filter)
    return try EnvelopeResponse.success(schedules.map(ScheduleJSON.init), requestID: context.requestID)
  }

  @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
    let principal = try context.requireSchedulePrincipal(scope: .read)
    let id = try context.parameters.require("scheduleId")
    let schedule = try await lamps.authorisedSchedule(id, principal: principal, action: .viewSchedules)
    return try EnvelopeResponse.success(ScheduleJSON(schedule), requestID: context.requestID)
  }

  @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
    let caller = try context.requireSchedulePrincipal(scope: .schedule)
    let body = try await request.jsonBody()
    var errors = FieldErrors()
    let input = ScheduleBody(try body.decode(JSONValue.self).objectMembers(), creating: true, errors: &errors)
    guard errors.isEmpty, let deviceId = input.deviceId, let action = input.action, let cron = input.cron,
      let timezone = input.timezone
    else { throw APIError.validation(fieldErrors: errors.errors) }
    var fields = ScheduleFields(
      action: action.rawValue, cron: cron, timezone: timezone, enabled: input.enabled ?? true, nextRunAt: 0,
      startAt: input.startAt.applied(to: nil), endAt: input.endAt.applied(to: nil),
      windowGroupId: input.windowGroupId.applied(to: nil), windowStart: input.windowStart.applied(to: nil),
      windowEnd: input.windowEnd.applied(to: nil), windowInterval: input.windowInterval.applied(to: nil),
      misfireGraceSec: input.misfireGraceSec ?? MisfirePolicy.defaultGraceSeconds)
    let definition = try ScheduleDefinition(validating: fields)
    guard let callerUser = caller.effectiveUserId else { throw LampErrors.noAccess }
    let target = input.targetUserId ?? callerUser
    if target != callerUser && !Authorization.isAdmin(caller) { throw ScheduleErrors.adminRequiredForTarget }
    return try await lamps.idempotency.perform(
      request, context: context, principal: caller, body: body.raw, required: true
    ) {
      guard let owner = try await lamps.store.users.byId(target), owner.isUsable else {
        throw ScheduleErrors.targetNotFound
      }
      let (device, _) = try await lamps.authorisedDevice(deviceId, principal: caller, action: .manageSchedules)
      if try await lamps.ownerRefusal(userId: owner.id, deviceInternalId: device.id) != nil {
        throw ScheduleErrors.targetLacksPermission
      }
      fields.nextRunAt = try definition.firstSlot(now: APITime.epochMilliseconds(), fields: fields)
      let record = try await lamps.store.schedules.create(
        userId: owner.id, createdBy: callerUser, deviceId: device.deviceId, fields)
      return try EnvelopeResponse.success(ScheduleJSON(record), status: .created, requestID: context.requestID)
    }
  }

  @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
    let caller = try context.requireSchedulePrincipal(scope: .schedule)
    let id = try context.parameters.require("scheduleId")
    let body = try await request.jsonBody()
    var errors = FieldErrors()
    let input = ScheduleBody(try body.decode(JSONValue.self).objectMembers(), creating: false, errors: &errors)
    guard errors.isEmpty else { throw APIError.validation(fieldErrors: errors.errors) }
    return try await lamps.idempotency.perform(
      request, context: context, principal: caller, body: body.raw, required: true
    ) {
      let schedule = try await lamps.authorisedSchedule(id, principal: caller, action: .manageSchedules)
      var fields = schedule.fields
      if let action = input.action { fields.action = action.rawValue }
      if let cron = input.cron { fields.cron = cron }
      if let timezone = input.timezone { fields.timezone = timezone }
      if let enabled = input.enabled { fields.enabled = enabled }
      if let grace = input.misfireGraceSec { fields.misfireGraceSec = grace }
      fields.startAt = input.startAt.applied(to: fields.startAt)
      fields.endAt = input.endAt.applied(to: fields.endAt)
      fields.windowGroupId = input.windowGroupId.applied(to: fields.windowGroupId)
      fields.windowStart = input.windowStart.applied(to: fields.windowStart)
      fields.windowEnd = input.windowEnd.applied(to: fields.windowEnd)
      fields.windowInterval = input.windowInterval.applied(to: fields.windowInterval)
      let definition = try ScheduleDefinition(validating: fields)
      do {
        fields.nextRunAt = try definition.firstSlot(now: APITime.epochMilliseconds(), fields: fields)
      } catch  where !fields.enabled {
        // A paused schedule may keep a configuration that has no slot left; it cannot be enabled so.
      }
      guard let updated = try await lamps.store.schedules.update(schedule.id, fields) else {
        throw ScheduleErrors.notFound(id)
      }
      return try EnvelopeResponse.success(ScheduleJSON(updated), requestID: context.requestID)
    }
  }

  @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
    let caller = try context.requireSchedulePrincipal(scope: .schedule)
    let id = try context.parameters.require("scheduleId")
    return try await lamps.idempotency.perform(
      request, context: context, principal: caller, body: nil, required: true
    ) {
      let schedule = try await lamps.authorisedSchedule(id, principal: caller, action: .manageSchedules)
      guard try await lamps.store.schedules.delete(schedule.id) else { throw ScheduleErrors.notFound(id) }
      struct Deleted: Encodable {
        let deleted: Bool
        let scheduleId: Int64
      }
      return try EnvelopeResponse.success(
        Deleted(deleted: true, scheduleId: schedule.id), requestID: context.requestID)
    }
  }

  /// Upstream answers an array of at most 100; with `limit` or `cursor` the page shape of CONTRACT §5.
  @Sendable func runs(_ request: Request, context: AppRequestContext) async throws -> Response {
    let principal = try context.requireSchedulePrincipal(scope: .read)
    let id = try context.parameters.require("scheduleId")
    let query = request.uri.queryParameters
    var errors = FieldErrors()
    let limitText = query["limit"].map(String.init)
    let cursorText = query["cursor"].map(String.init)
    var limit = Self.defaultRunLimit
    if let limitText {
      if let value = Int(limitText), (1...ScheduleRepository.maximumRunPageSize).contains(value) {
        limit = value
      } else {
        errors.add("limit", "must be 1–\(ScheduleRepository.maximumRunPageSize)")
      }
    }
    var before: Int64?
    if let cursorText, !cursorText.isEmpty {
      if let value = Int64(cursorText), value > 0 { before = value } else { errors.add("cursor", "is not valid") }
    }
    guard errors.isEmpty else { throw APIError.validation(fieldErrors: errors.errors) }
    let schedule = try await lamps.authorisedSchedule(id, principal: principal, action: .viewSchedules)
    let page = try await lamps.store.schedules.runs(scheduleId: schedule.id, limit: limit, before: before)
    let items = page.items.map(ScheduleRunJSON.init)
    if limitText == nil && cursorText == nil {
      return try EnvelopeResponse.success(items, requestID: context.requestID)
    }
    return try EnvelopeResponse.success(
      Page(items: items, nextCursor: page.nextCursor.map(String.init)), requestID: context.requestID)
  }
}
