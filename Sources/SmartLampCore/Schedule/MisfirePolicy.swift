import Foundation

/// The misfire rule of CONTRACT §9: a slot handled more than `graceSeconds` after its planned time is not executed;
/// the runner records one `SKIPPED` run with reason `MISSED` for it and jumps the cursor to the next future slot.
public struct MisfirePolicy: Sendable, Hashable {
  public static let defaultGraceSeconds = 60

  public let graceSeconds: Int

  /// Negative graces count as 0.
  public init(graceSeconds: Int = Self.defaultGraceSeconds) {
    self.graceSeconds = max(0, graceSeconds)
  }

  /// Whether `plannedAt` is older than the grace at `now` (a slot exactly `graceSeconds` old still runs).
  public func isMissed(plannedAt: Date, now: Date) -> Bool {
    now.timeIntervalSince(plannedAt) > Double(graceSeconds)
  }

  /// What the runner does with the slot stored as a schedule's cursor.
  public func decide(
    plannedAt: Date, now: Date, trigger: ScheduleTrigger, in zone: TimeZone, endAt: Date? = nil
  ) -> SlotDecision {
    if let endAt, plannedAt > endAt { return .expired }
    guard plannedAt <= now else { return .notDue }
    func bounded(_ next: Date?) -> Date? {
      guard let next else { return nil }
      if let endAt, next > endAt { return nil }
      return next
    }
    if isMissed(plannedAt: plannedAt, now: now) {
      return .missed(nextCursor: bounded(trigger.nextSlot(after: now, in: zone)))
    }
    return .execute(nextCursor: bounded(trigger.nextSlot(after: plannedAt, in: zone)))
  }
}

/// The runner's action for one planned slot. A nil `nextCursor` means no slot remains (none within the search
/// horizon or before `endAt`): the runner disables the schedule after recording this slot.
public enum SlotDecision: Sendable, Hashable {
  /// The slot lies in the future; nothing to do yet.
  case notDue
  /// Run the slot, then move the cursor to the first slot strictly after it (which may itself be due already).
  case execute(nextCursor: Date?)
  /// Record the slot as `SKIPPED` / `MISSED` without running it; the cursor jumps to the first slot after now.
  case missed(nextCursor: Date?)
  /// The slot lies after the schedule's `endAt`: disable without running.
  case expired
}
