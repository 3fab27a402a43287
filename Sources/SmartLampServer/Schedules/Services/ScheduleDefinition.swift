import Foundation
import SmartLampCore
import SmartLampStore

/// A schedule's stored fields turned into the engine's terms: the zone, the trigger and the misfire policy.
/// Checks run in CONTRACT §9 order: time zone, cron, window (all-or-none, from ≠ until), `endAt > startAt`.
struct ScheduleDefinition: Sendable {
  let zone: TimeZone
  let trigger: ScheduleTrigger
  let misfire: MisfirePolicy

  /// Throws the API error a route answers with.
  init(validating fields: ScheduleFields) throws(APIError) {
    do {
      zone = try ScheduleTimeZone.validate(fields.timezone)
    } catch {
      throw APIError.scheduleInvalid(code: "SCHEDULE_INVALID_TIMEZONE", field: "timezone", message: error.description)
    }
    let cron: CronExpression
    do {
      cron = try CronExpression(parsing: fields.cron)
    } catch {
      throw APIError.scheduleInvalid(code: "SCHEDULE_INVALID_CRON", field: "cron", message: error.message)
    }
    let window = try Self.window(fields)
    if let start = fields.startAt, let end = fields.endAt, end <= start {
      throw APIError.validation(fieldErrors: ["endAt": ["must be after startAt"]])
    }
    trigger = ScheduleTrigger(cron: cron, window: window)
    misfire = MisfirePolicy(graceSeconds: fields.misfireGraceSec)
  }

  /// Rows written before validation existed may not parse: the runner then disables them instead of throwing.
  init?(stored fields: ScheduleFields) {
    guard let definition = try? ScheduleDefinition(validating: fields) else { return nil }
    self = definition
  }

  private static func window(_ fields: ScheduleFields) throws(APIError) -> ScheduleWindow? {
    let given = [
      fields.windowGroupId != nil, fields.windowStart != nil, fields.windowEnd != nil, fields.windowInterval != nil,
    ]
    guard let start = fields.windowStart, let end = fields.windowEnd, let interval = fields.windowInterval,
      fields.windowGroupId != nil
    else {
      if given.contains(true) {
        var error = APIError.validation(
          "Window enforcement config must be set completely",
          fieldErrors: [
            "window": [
              "windowGroupId, windowStartMinute, windowEndMinute and enforceEveryMinute must be given together"
            ]
          ])
        error.details["code"] = "SCHEDULE_WINDOW_CONFIG_INCOMPLETE"
        throw error
      }
      return nil
    }
    do {
      return try ScheduleWindow(startSecond: start, endSecond: end, intervalSeconds: interval)
    } catch {
      let field = error == .emptyWindow ? "windowEndMinute" : "window"
      throw APIError.validation(fieldErrors: [field: [error.description]])
    }
  }

  /// The first cursor at `now` (from `startAt` when it lies ahead; CONTRACT §9 also for PATCH, fixing
  /// UPSTREAM §20.21), or a 400 when the schedule would never fire.
  func firstSlot(now: Int64, fields: ScheduleFields) throws(APIError) -> Int64 {
    guard
      let slot = trigger.initialSlot(
        now: Self.date(now), startAt: fields.startAt.map(Self.date), endAt: fields.endAt.map(Self.date), in: zone)
    else {
      let field = fields.endAt == nil ? "cron" : "endAt"
      throw APIError.validation(fieldErrors: [field: ["the schedule has no occurrence left"]])
    }
    return Self.millis(slot)
  }

  static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }
  static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
}
