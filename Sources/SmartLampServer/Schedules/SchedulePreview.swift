import Foundation
import SmartLampCore
import SmartLampStore

/// The next run instants of a schedule that is not stored (issue #7 item 6), computed by the scheduler's own
/// engine and validated exactly as schedule create validates (``ScheduleDefinition``), so what the dashboard
/// previews is what the runner will do.
struct SchedulePreview: Sendable {
  static let counts = 1...10
  static let defaultCount = 3

  /// A window (seconds of the local day, as the schedule fields are named upstream).
  struct Window: Sendable {
    var start: Int?
    var end: Int?
    var interval: Int?

    var isGiven: Bool { start != nil || end != nil || interval != nil }
  }

  /// The first `count` runs strictly after `after` (epoch ms). For a window schedule a run is the first
  /// enforcement instant of each window (for a window already under way: its next one), so a preview reads
  /// "Mon 18:00, Tue 18:00, Wed 18:00" rather than three instants a few minutes apart.
  /// - Throws: the errors of schedule create (`SCHEDULE_INVALID_TIMEZONE`, `SCHEDULE_INVALID_CRON`, window and
  ///   "no occurrence left" validation errors).
  static func runs(cron: String, timezone: String, window: Window, count: Int, after: Int64) throws(APIError)
    -> [Int64]
  {
    // Window schedules need a group id to be stored; a preview has none, so any stands in when a window is given.
    let fields = ScheduleFields(
      action: PowerAction.on.rawValue, cron: cron, timezone: timezone, nextRunAt: 0,
      windowGroupId: window.isGiven ? "preview" : nil, windowStart: window.start, windowEnd: window.end,
      windowInterval: window.interval)
    let definition = try ScheduleDefinition(validating: fields)
    let first = try definition.firstSlot(now: after, fields: fields)
    let trigger = definition.trigger
    var runs = [first]
    var slot = ScheduleDefinition.date(first)
    // Each step skips to the end of the window the last run opened; a bounded number of steps either way.
    var steps = 0
    while runs.count < count, steps < count * 4 {
      steps += 1
      let from =
        trigger.window.map { Self.endOfWindow($0, containing: slot, in: definition.zone) } ?? slot
      guard let next = trigger.nextSlot(after: from, in: definition.zone) else { break }
      slot = next
      if let window = trigger.window, !Self.opensWindow(next, trigger, window, in: definition.zone) { continue }
      runs.append(ScheduleDefinition.millis(next))
    }
    return runs
  }

  /// The last instant inside the window that contains `slot` (a second before its end, in local time).
  static func endOfWindow(_ window: ScheduleWindow, containing slot: Date, in zone: TimeZone) -> Date {
    let second = secondOfDay(slot, in: zone)
    let remaining = (window.endSecond - second + ScheduleWindow.secondsPerDay) % ScheduleWindow.secondsPerDay
    return slot.addingTimeInterval(Double(max(remaining, 1) - 1))
  }

  /// Whether a slot is the first of its window: no slot lies between the window's start and it (a window's start
  /// is not always a slot: the cron's own seconds or days may rule it out, or the evening before did not run).
  static func opensWindow(_ slot: Date, _ trigger: ScheduleTrigger, _ window: ScheduleWindow, in zone: TimeZone)
    -> Bool
  {
    let second = secondOfDay(slot, in: zone)
    let elapsed =
      second >= window.startSecond
      ? second - window.startSecond : ScheduleWindow.secondsPerDay - window.startSecond + second
    guard elapsed > 0 else { return true }
    let opened = slot.addingTimeInterval(-Double(elapsed) - 0.001)
    return trigger.nextSlot(after: opened, in: zone) == slot
  }

  static func secondOfDay(_ date: Date, in zone: TimeZone) -> Int {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = zone
    let parts = calendar.dateComponents([.hour, .minute, .second], from: date)
    return (parts.hour ?? 0) * 3600 + (parts.minute ?? 0) * 60 + (parts.second ?? 0)
  }
}
