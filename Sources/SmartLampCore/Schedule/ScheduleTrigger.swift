import Foundation

/// What makes a schedule fire: its cron expression and, for dashboard window schedules, a window of local time.
/// The runner advances its cursor with ``nextSlot(after:in:)`` from the slot it just handled, so every slot is
/// evaluated (fixes UPSTREAM §20.15, where per-second crons were stepped by 2 s).
public struct ScheduleTrigger: Sendable, Hashable {
  public let cron: CronExpression
  public let window: ScheduleWindow?

  /// With a window, a 5-field cron is evaluated with every second (upstream's legacy rule, it prepends `* `), so
  /// interval seconds are honoured; its day fields still filter the days.
  public init(cron: CronExpression, window: ScheduleWindow? = nil) {
    self.cron = cron
    self.window = window
  }

  private var effectiveCron: CronExpression {
    window != nil && !cron.hasSecondsField ? cron.everySecond : cron
  }

  /// The first slot strictly after `instant` in `zone`; nil when none exists within about ten years.
  public func nextSlot(after instant: Date, in zone: TimeZone) -> Date? {
    let cron = effectiveCron
    let window = window
    return ZonedSearch(zone: zone).next(after: instant, realInstants: cron.followsRealInstants) { minWall, limit in
      cron.firstWallMatch(atOrAfter: minWall, notAfter: limit, window: window)
    }
  }

  /// The first cursor of a schedule: the first slot at or after `startAt` when that lies in the future, else the
  /// first slot after `now`; nil when there is none, or none before `endAt`.
  public func initialSlot(now: Date, startAt: Date? = nil, endAt: Date? = nil, in zone: TimeZone) -> Date? {
    let next: Date?
    if let startAt, startAt > now {
      // Slots are whole seconds: searching after the second before `startAt` includes a slot at `startAt`.
      let before = (startAt.timeIntervalSince1970.rounded(.up) - 1)
      next = nextSlot(after: Date(timeIntervalSince1970: before), in: zone)
    } else {
      next = nextSlot(after: now, in: zone)
    }
    guard let next else { return nil }
    if let endAt, next > endAt { return nil }
    return next
  }
}
