import SmartLampCore
import SmartLampStore

/// Creating, changing, deleting and reading schedules as the API does it (UPSTREAM §5.6, CONTRACT §9): who may
/// create a schedule for whom on which device, the first slot of a new or changed schedule, and the rows behind
/// them. Which schedules a caller sees or changes is answered by `scheduleDeviceFilter` and `authorisedSchedule`
/// (`ScheduleAccess.swift`), which ask ``Authorization``.
struct ScheduleService: Sendable {
  let lamps: LampServices
  var repository: ScheduleRepository { lamps.store.schedules }

  /// A checked new schedule: its definition parsed and the caller's right to name its owner settled, before any
  /// side effect (the route claims its idempotency key after this).
  struct Draft: Sendable {
    let deviceId: String
    let fields: ScheduleFields
    let definition: ScheduleDefinition
    let owner: Int64
    let creator: Int64
  }

  // MARK: reading

  /// The schedules `principal` may see, newest first, each with its device's name and its newest finished run.
  func list(for principal: Principal) async throws -> [ScheduleListEntry] {
    let filter = try await lamps.scheduleDeviceFilter(for: principal)
    return try await repository.listWithLastRun(deviceInternalIds: filter)
  }

  /// One schedule `principal` may see; `404 SCHEDULE_NOT_FOUND` otherwise.
  func schedule(_ id: String, for principal: Principal) async throws -> ScheduleRecord {
    try await lamps.authorisedSchedule(id, principal: principal, action: .viewSchedules)
  }

  /// A page of a visible schedule's runs, newest planned first.
  func runs(of id: String, for principal: Principal, limit: Int, before: Int64?) async throws -> ScheduleRunPage {
    let schedule = try await lamps.authorisedSchedule(id, principal: principal, action: .viewSchedules)
    return try await repository.runs(scheduleId: schedule.id, limit: limit, before: before)
  }

  // MARK: changing

  /// Checks a new schedule without touching anything: time zone, cron, window and dates (their own codes), then
  /// who it is for — only admins may create schedules for someone else.
  func draft(_ body: ScheduleBody, caller: Principal) throws(APIError) -> Draft {
    guard let deviceId = body.deviceId, let fields = body.newFields() else { throw APIError.validation() }
    let definition = try ScheduleDefinition(validating: fields)
    guard let creator = caller.effectiveUserId else { throw APIError(.deviceAccess) }
    let owner = body.targetUserId ?? creator
    if owner != creator && !Authorization.isAdmin(caller) { throw APIError.scheduleTargetNeedsAdmin() }
    return Draft(deviceId: deviceId, fields: fields, definition: definition, owner: owner, creator: creator)
  }

  /// Creates a checked schedule: the owner must be usable, the caller must manage the device's schedules and the
  /// owner must be allowed to have them run; the cursor starts at the first slot from now.
  func create(_ draft: Draft, caller: Principal) async throws -> ScheduleRecord {
    guard let owner = try await lamps.store.users.byId(draft.owner), owner.isUsable else {
      throw APIError.scheduleTargetNotFound()
    }
    let (device, _) = try await lamps.authorisedDevice(draft.deviceId, principal: caller, action: .manageSchedules)
    if try await lamps.ownerRefusal(userId: owner.id, deviceInternalId: device.id) != nil {
      throw APIError.scheduleTargetLacksPermission()
    }
    var fields = draft.fields
    fields.nextRunAt = try draft.definition.firstSlot(now: lamps.clock.epochMilliseconds(), fields: fields)
    let created = try await repository.create(
      userId: owner.id, createdBy: draft.creator, deviceId: device.deviceId, fields)
    lamps.scheduleWakeup.signal()
    return created
  }

  /// Applies a PATCH to a schedule the caller may manage; the cursor is planned again from now (and `startAt`).
  func update(_ id: String, with body: ScheduleBody, caller: Principal) async throws -> ScheduleRecord {
    let schedule = try await lamps.authorisedSchedule(id, principal: caller, action: .manageSchedules)
    var fields = body.applied(to: schedule.fields)
    let definition = try ScheduleDefinition(validating: fields)
    let now = lamps.clock.epochMilliseconds()
    if fields.enabled {
      fields.nextRunAt = try definition.firstSlot(now: now, fields: fields)
    } else if let slot = try? definition.firstSlot(now: now, fields: fields) {
      // A paused schedule may keep a configuration that has no slot left (it cannot be enabled so).
      fields.nextRunAt = slot
    }
    guard let updated = try await repository.update(schedule.id, fields) else {
      throw APIError.scheduleNotFound(id)
    }
    lamps.scheduleWakeup.signal()
    return updated
  }

  /// Deletes a schedule the caller may manage, with its runs; returns its id.
  func delete(_ id: String, caller: Principal) async throws -> Int64 {
    let schedule = try await lamps.authorisedSchedule(id, principal: caller, action: .manageSchedules)
    guard try await repository.delete(schedule.id) else { throw APIError.scheduleNotFound(id) }
    lamps.scheduleWakeup.signal()
    return schedule.id
  }
}
