import SmartLampStore

/// A schedule as the API shows it (UPSTREAM §5.6; window values in seconds as R4, plus `misfireGraceSec`).
/// Every key is always present, `null` when empty, as upstream answered.
struct ScheduleJSON: Encodable, Sendable {
  let id: Int64
  let userId: Int64
  @NullEncoded var userEmail: String?
  @NullEncoded var createdByUserId: Int64?
  let deviceId: String
  let action: String
  let cron: String
  let timezone: String
  let enabled: Bool
  let nextRunAt: Int64
  @NullEncoded var lastRunAt: Int64?
  @NullEncoded var startAt: Int64?
  @NullEncoded var endAt: Int64?
  @NullEncoded var windowGroupId: String?
  @NullEncoded var windowStartMinute: Int?
  @NullEncoded var windowEndMinute: Int?
  @NullEncoded var enforceEveryMinute: Int?
  let misfireGraceSec: Int
  let createdAt: String
  let updatedAt: String

  init(_ record: ScheduleRecord) {
    let fields = record.fields
    id = record.id
    userId = record.userId
    userEmail = record.userEmail
    createdByUserId = record.createdByUserId
    deviceId = record.deviceId
    action = fields.action
    cron = fields.cron
    timezone = fields.timezone
    enabled = fields.enabled
    nextRunAt = fields.nextRunAt
    lastRunAt = record.lastRunAt
    startAt = fields.startAt
    endAt = fields.endAt
    windowGroupId = fields.windowGroupId
    windowStartMinute = fields.windowStart
    windowEndMinute = fields.windowEnd
    enforceEveryMinute = fields.windowInterval
    misfireGraceSec = fields.misfireGraceSec
    createdAt = record.createdAt
    updatedAt = record.updatedAt
  }
}

/// A schedule as `GET /api/v1/schedules` lists it: every key of ``ScheduleJSON`` plus the device's name and how
/// the newest finished run went (`null` before the first), so a list needs no request per schedule.
struct ScheduleListItemJSON: Encodable, Sendable {
  let schedule: ScheduleJSON
  let listKeys: ListKeys

  /// What only the list adds.
  struct ListKeys: Encodable, Sendable {
    @NullEncoded var deviceName: String?
    @NullEncoded var lastRunStatus: String?
    @NullEncoded var lastRunReason: String?
  }

  init(_ entry: ScheduleListEntry) {
    schedule = ScheduleJSON(entry.record)
    listKeys = ListKeys(
      deviceName: entry.deviceName, lastRunStatus: entry.lastRunStatus?.rawValue, lastRunReason: entry.lastRunReason)
  }

  /// One flat object: the schedule's keys and the list's own, side by side.
  func encode(to encoder: any Encoder) throws {
    try schedule.encode(to: encoder)
    try listKeys.encode(to: encoder)
  }
}

/// A run (UPSTREAM §5.6: `reason` is the reason or error text; plus the command's acknowledgement).
struct ScheduleRunJSON: Encodable, Sendable {
  let id: Int64
  let scheduleId: Int64
  let plannedAt: Int64
  @NullEncoded var executedAt: Int64?
  @NullEncoded var requestId: String?
  let status: String
  @NullEncoded var reason: String?
  @NullEncoded var ackStatus: String?
  @NullEncoded var ackLatencyMs: Int64?
  let createdAt: String

  init(_ run: ScheduleRunRecord) {
    id = run.id
    scheduleId = run.scheduleId
    plannedAt = run.plannedAt
    executedAt = run.executedAt
    requestId = run.requestId
    status = run.status
    reason = run.reason
    ackStatus = run.ackStatus
    ackLatencyMs = run.ackLatencyMs
    createdAt = run.createdAt
  }
}
