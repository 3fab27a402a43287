import SmartLampStore

/// A schedule as the API shows it (upstream-spec §5.6; window values in seconds as R4, plus `misfireGraceSec`).
/// Every key is always present, `null` when empty, as upstream answered.
struct ScheduleJSON: Encodable, Sendable {
  let record: ScheduleRecord

  init(_ record: ScheduleRecord) { self.record = record }

  enum CodingKeys: String, CodingKey {
    case id, userId, userEmail, createdByUserId, deviceId, action, cron, timezone, enabled, nextRunAt, lastRunAt
    case startAt, endAt, windowGroupId, windowStartMinute, windowEndMinute, enforceEveryMinute, misfireGraceSec
    case createdAt, updatedAt
  }

  func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    let f = record.fields
    try c.encode(record.id, forKey: .id)
    try c.encode(record.userId, forKey: .userId)
    try c.encode(record.userEmail, forKey: .userEmail)
    try c.encode(record.createdByUserId, forKey: .createdByUserId)
    try c.encode(record.deviceId, forKey: .deviceId)
    try c.encode(f.action, forKey: .action)
    try c.encode(f.cron, forKey: .cron)
    try c.encode(f.timezone, forKey: .timezone)
    try c.encode(f.enabled, forKey: .enabled)
    try c.encode(f.nextRunAt, forKey: .nextRunAt)
    try c.encode(record.lastRunAt, forKey: .lastRunAt)
    try c.encode(f.startAt, forKey: .startAt)
    try c.encode(f.endAt, forKey: .endAt)
    try c.encode(f.windowGroupId, forKey: .windowGroupId)
    try c.encode(f.windowStart, forKey: .windowStartMinute)
    try c.encode(f.windowEnd, forKey: .windowEndMinute)
    try c.encode(f.windowInterval, forKey: .enforceEveryMinute)
    try c.encode(f.misfireGraceSec, forKey: .misfireGraceSec)
    try c.encode(record.createdAt, forKey: .createdAt)
    try c.encode(record.updatedAt, forKey: .updatedAt)
  }
}

/// A run (upstream-spec §5.6: `reason` is the reason or error text; plus the command's acknowledgement).
struct ScheduleRunJSON: Encodable, Sendable {
  let run: ScheduleRunRecord

  init(_ run: ScheduleRunRecord) { self.run = run }

  enum CodingKeys: String, CodingKey {
    case id, scheduleId, plannedAt, executedAt, requestId, status, reason, ackStatus, ackLatencyMs, createdAt
  }

  func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(run.id, forKey: .id)
    try c.encode(run.scheduleId, forKey: .scheduleId)
    try c.encode(run.plannedAt, forKey: .plannedAt)
    try c.encode(run.executedAt, forKey: .executedAt)
    try c.encode(run.requestId, forKey: .requestId)
    try c.encode(run.status, forKey: .status)
    try c.encode(run.reason, forKey: .reason)
    try c.encode(run.ackStatus, forKey: .ackStatus)
    try c.encode(run.ackLatencyMs, forKey: .ackLatencyMs)
    try c.encode(run.createdAt, forKey: .createdAt)
  }
}
