/// A window of local time of day in which an action is re-sent every `intervalSeconds` (UPSTREAM §11.4, R4 seconds
/// semantics, CONTRACT §9): `[startSecond, endSecond)`, overnight when `startSecond > endSecond`, slots counted
/// from the window start (across midnight for overnight windows).
public struct ScheduleWindow: Sendable, Hashable {
  public static let secondsPerDay = 86_400
  public static let intervalRange = 1...86_400

  public let startSecond: Int
  public let endSecond: Int
  public let intervalSeconds: Int

  public init(startSecond: Int, endSecond: Int, intervalSeconds: Int) throws(ScheduleWindowError) {
    let day = 0..<Self.secondsPerDay
    guard day.contains(startSecond) else { throw .startOutOfRange(startSecond) }
    guard day.contains(endSecond) else { throw .endOutOfRange(endSecond) }
    guard startSecond != endSecond else { throw .emptyWindow }
    guard Self.intervalRange.contains(intervalSeconds) else { throw .intervalOutOfRange(intervalSeconds) }
    self.startSecond = startSecond
    self.endSecond = endSecond
    self.intervalSeconds = intervalSeconds
  }

  public var isOvernight: Bool { startSecond > endSecond }

  /// Whether a local second of the day lies inside the window (end exclusive).
  public func contains(_ secondOfDay: Int) -> Bool {
    isOvernight
      ? secondOfDay >= startSecond || (0..<endSecond).contains(secondOfDay)
      : (startSecond..<endSecond).contains(secondOfDay)
  }

  /// Whether a local second of the day is inside the window and a whole number of intervals after its start.
  public func isSlot(_ secondOfDay: Int) -> Bool {
    guard contains(secondOfDay) else { return false }
    let elapsed =
      secondOfDay >= startSecond ? secondOfDay - startSecond : Self.secondsPerDay - startSecond + secondOfDay
    return elapsed % intervalSeconds == 0
  }

  /// The first slot second of the same day ≥ `secondOfDay`, or nil.
  func nextSlotSecond(atOrAfter secondOfDay: Int) -> Int? {
    let from = max(0, secondOfDay)
    if isOvernight, from < endSecond {
      // Morning part: elapsed = 86 400 − start + t must be a multiple of the interval.
      let remainder = ((startSecond - Self.secondsPerDay) % intervalSeconds + intervalSeconds) % intervalSeconds
      let slot = roundUp(from, congruentTo: remainder)
      if slot < endSecond { return slot }
    }
    let lower = max(from, startSecond)
    let slot = roundUp(lower, congruentTo: startSecond % intervalSeconds)
    let upper = isOvernight ? Self.secondsPerDay : endSecond
    return slot < upper ? slot : nil
  }

  /// The smallest value ≥ `value` that is ≡ `remainder` modulo the interval.
  private func roundUp(_ value: Int, congruentTo remainder: Int) -> Int {
    let shift = ((remainder - value) % intervalSeconds + intervalSeconds) % intervalSeconds
    return value + shift
  }
}

/// Why a window configuration was rejected (the server answers `400 VALIDATION_ERROR`).
public enum ScheduleWindowError: Error, Sendable, Hashable, CustomStringConvertible {
  case startOutOfRange(Int)
  case endOutOfRange(Int)
  case emptyWindow
  case intervalOutOfRange(Int)

  public var description: String {
    switch self {
    case .startOutOfRange(let value): return "window start \(value) is outside 0–86399 seconds of the day"
    case .endOutOfRange(let value): return "window end \(value) is outside 0–86399 seconds of the day"
    case .emptyWindow: return "window start and end must differ"
    case .intervalOutOfRange(let value): return "window interval \(value) is outside 1–86400 seconds"
    }
  }
}
