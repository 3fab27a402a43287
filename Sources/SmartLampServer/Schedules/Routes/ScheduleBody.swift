import Foundation
import SmartLampCore
import SmartLampStore

/// The fields of a schedule body (POST and PATCH, UPSTREAM §5.6), read with ``BodyFields`` (CONTRACT §1, §9).
/// Cron and time zone are checked later by ``ScheduleDefinition``, with their own error codes.
///
/// The window members keep upstream's names, but hold seconds: `windowStartMinute`/`windowEndMinute` are seconds of
/// the day and `enforceEveryMinute` an interval in seconds (R4).
struct ScheduleBody: Sendable {
  static let windowGroupLengths = 1...191
  static let secondOfDay = 0...86_399
  static let intervalSeconds = ScheduleWindow.intervalRange
  static let misfireGrace = 1...86_400

  var targetUserId: Int64?
  var deviceId: String?
  var action: PowerAction?
  var cron: String?
  var timezone: String?
  var enabled: Bool?
  var startAt: Patch<Int64> = .keep
  var endAt: Patch<Int64> = .keep
  var windowGroupId: Patch<String> = .keep
  /// Second of the day the window opens (`windowStartMinute`).
  var windowStartSecond: Patch<Int> = .keep
  /// Second of the day the window closes (`windowEndMinute`).
  var windowEndSecond: Patch<Int> = .keep
  /// Seconds between enforcements inside the window (`enforceEveryMinute`).
  var windowIntervalSeconds: Patch<Int> = .keep
  var misfireGraceSec: Int?

  /// Reads a body; `creating` makes `deviceId`, `action`, `cron` and `timezone` required. On PATCH they may be
  /// left out but not cleared: `null` is "is required" there too.
  init(_ fields: inout BodyFields, creating: Bool) {
    if creating {
      targetUserId = Self.positiveID(&fields, "targetUserId")
      deviceId = fields.text("deviceId", lengths: 1...DeviceID.maximumLength, required: true)
    }
    let actionText = fields.string("action", required: creating || fields.contains("action"))
    action = actionText.flatMap(PowerAction.init(parsing:))
    if actionText != nil && action == nil { fields.add("action", "must be ON or OFF") }
    cron = fields.text(
      "cron", lengths: 1...CronExpression.maximumLength, required: creating || fields.contains("cron"))
    timezone = fields.text(
      "timezone", lengths: 1...ScheduleTimeZone.maximumLength, required: creating || fields.contains("timezone"))
    enabled = fields.bool("enabled")
    startAt = fields.patch("startAt") { Self.instant(&$0, "startAt") }
    endAt = fields.patch("endAt") { Self.instant(&$0, "endAt") }
    windowGroupId = fields.patch("windowGroupId") { $0.text("windowGroupId", lengths: Self.windowGroupLengths) }
    windowStartSecond = fields.patch("windowStartMinute") { $0.int("windowStartMinute", in: Self.secondOfDay) }
    windowEndSecond = fields.patch("windowEndMinute") { $0.int("windowEndMinute", in: Self.secondOfDay) }
    windowIntervalSeconds = fields.patch("enforceEveryMinute") {
      $0.int("enforceEveryMinute", in: Self.intervalSeconds)
    }
    misfireGraceSec = fields.int("misfireGraceSec", in: Self.misfireGrace)
  }

  /// The stored fields of a new schedule (its cursor still 0); nil when a required member is missing, which
  /// ``BodyFields/finish()`` has already refused.
  func newFields() -> ScheduleFields? {
    guard let action, let cron, let timezone else { return nil }
    return ScheduleFields(
      action: action.rawValue, cron: cron, timezone: timezone, enabled: enabled ?? true, nextRunAt: 0,
      startAt: startAt.value, endAt: endAt.value, windowGroupId: windowGroupId.value,
      windowStart: windowStartSecond.value, windowEnd: windowEndSecond.value,
      windowInterval: windowIntervalSeconds.value,
      misfireGraceSec: misfireGraceSec ?? MisfirePolicy.defaultGraceSeconds)
  }

  /// `stored` with this PATCH applied (the cursor unchanged).
  func applied(to stored: ScheduleFields) -> ScheduleFields {
    var fields = stored
    if let action { fields.action = action.rawValue }
    if let cron { fields.cron = cron }
    if let timezone { fields.timezone = timezone }
    if let enabled { fields.enabled = enabled }
    if let misfireGraceSec { fields.misfireGraceSec = misfireGraceSec }
    fields.startAt = startAt.applied(to: fields.startAt)
    fields.endAt = endAt.applied(to: fields.endAt)
    fields.windowGroupId = windowGroupId.applied(to: fields.windowGroupId)
    fields.windowStart = windowStartSecond.applied(to: fields.windowStart)
    fields.windowEnd = windowEndSecond.applied(to: fields.windowEnd)
    fields.windowInterval = windowIntervalSeconds.applied(to: fields.windowInterval)
    return fields
  }

  private static func positiveID(_ fields: inout BodyFields, _ key: String) -> Int64? {
    guard let value = fields.value(key) else { return nil }
    guard case .int(let id) = value, id > 0 else {
      fields.add(key, "must be a positive integer")
      return nil
    }
    return Int64(id)
  }

  /// An ISO-8601 date-time (upstream) or epoch milliseconds (as the answers show it).
  static func instant(_ fields: inout BodyFields, _ key: String) -> Int64? {
    switch fields.value(key) {
    case .int(let value)? where value >= 0 && value < 253_402_300_800_000: return Int64(value)
    case .string(let text)? where text.count <= 40:
      let date =
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
        ?? (try? Date.ISO8601FormatStyle().parse(text))
      if let date { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    default: break
    }
    fields.add(key, "must be an ISO-8601 date-time (e.g. 2026-01-01T08:00:00Z) or epoch milliseconds")
    return nil
  }
}
