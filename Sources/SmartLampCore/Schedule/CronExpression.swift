/// A parsed cron expression (CONTRACT §9): 5 fields `minute hour day-of-month month day-of-week` (seconds = 0) or 6
/// with leading seconds; `*`, lists, ranges, steps, month and weekday names, day-of-week 0–7 (0 and 7 = Sunday),
/// `?` in day fields, `L` in day-of-month, `<d>L` and `<d>#<n>` in day-of-week, and the macros `@yearly @annually
/// @monthly @weekly @daily @midnight @hourly`.
///
/// When both day-of-month and day-of-week are restricted (their value set is not the whole field), a day matches
/// if either matches (Vixie rule); `*/2` therefore counts as restricted, as in the upstream cron library.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
  public static let maximumLength = 256

  /// The expression as given, trimmed.
  public let source: String
  /// Whether the expression has a seconds field (6 fields); 5-field expressions fire at second 0.
  public let hasSecondsField: Bool

  let seconds: UInt64
  let minutes: UInt64
  let hours: UInt64
  let daysOfMonth: UInt64
  let lastDayOfMonth: Bool
  let months: UInt64
  let daysOfWeek: UInt64
  let lastWeekdays: UInt64
  let nthWeekdays: UInt64
  let dayOfMonthRestricted: Bool
  let dayOfWeekRestricted: Bool

  public init(parsing text: String) throws(CronError) {
    let length = text.utf8.count
    guard length <= Self.maximumLength else { throw .tooLong(length: length, maximum: Self.maximumLength) }
    let trimmed = text.trimmingCronWhitespace()
    guard !trimmed.isEmpty else { throw .empty }
    source = String(trimmed)

    var fields = trimmed.split(whereSeparator: isCronSpace)
    if let first = fields.first, first.hasPrefix("@") {
      guard fields.count == 1 else { throw .wrongFieldCount(found: fields.count) }
      fields = try Self.expand(macro: first).split(separator: " ")
      hasSecondsField = false
    } else if fields.count == 5 {
      fields.insert("0", at: 0)
      hasSecondsField = false
    } else if fields.count == 6 {
      hasSecondsField = true
    } else {
      throw .wrongFieldCount(found: fields.count)
    }

    let specs: [CronFieldSpec] = [.second, .minute, .hour, .dayOfMonth, .month, .dayOfWeek]
    var parsed: [CronFieldValues] = []
    for (spec, field) in zip(specs, fields) {
      parsed.append(try CronFieldParser(spec: spec).parse(field))
    }
    seconds = parsed[0].bits
    minutes = parsed[1].bits
    hours = parsed[2].bits
    daysOfMonth = parsed[3].bits
    lastDayOfMonth = parsed[3].lastDay
    months = parsed[4].bits
    daysOfWeek = parsed[5].bits
    lastWeekdays = parsed[5].lastWeekdays
    nthWeekdays = parsed[5].nthWeekdays
    dayOfMonthRestricted = lastDayOfMonth || daysOfMonth != CronFieldSpec.bits(1...31)
    dayOfWeekRestricted = lastWeekdays != 0 || nthWeekdays != 0 || daysOfWeek != CronFieldSpec.bits(0...6)
  }

  private init(copying other: CronExpression, seconds: UInt64) {
    source = other.source
    hasSecondsField = true
    self.seconds = seconds
    minutes = other.minutes
    hours = other.hours
    daysOfMonth = other.daysOfMonth
    lastDayOfMonth = other.lastDayOfMonth
    months = other.months
    daysOfWeek = other.daysOfWeek
    lastWeekdays = other.lastWeekdays
    nthWeekdays = other.nthWeekdays
    dayOfMonthRestricted = other.dayOfMonthRestricted
    dayOfWeekRestricted = other.dayOfWeekRestricted
  }

  private static func expand(macro: Substring) throws(CronError) -> String {
    switch macro.lowercased() {
    case "@yearly", "@annually": return "0 0 0 1 1 *"
    case "@monthly": return "0 0 0 1 * *"
    case "@weekly": return "0 0 0 * * 0"
    case "@daily", "@midnight": return "0 0 0 * * *"
    case "@hourly": return "0 0 * * * *"
    default: throw .unknownMacro(String(macro))
    }
  }

  public var description: String { source }

  /// The same expression firing on every second; upstream's rule for window schedules stored with a 5-field cron
  /// (it prepends `* `), so that window intervals in seconds are honoured.
  var everySecond: CronExpression {
    CronExpression(copying: self, seconds: CronFieldSpec.bits(0...59))
  }

  /// Whether repeated wall times (DST fall-back) fire at every real instant they occur rather than only at the
  /// first: true when a time-of-day field is a full wildcard (per-second, every-minute and hourly patterns), so
  /// that such patterns follow real time. Patterns that pin second, minute and hour run once per wall time.
  public var followsRealInstants: Bool {
    seconds == CronFieldSpec.bits(0...59) || minutes == CronFieldSpec.bits(0...59)
      || hours == CronFieldSpec.bits(0...23)
  }
}

private func isCronSpace(_ character: Character) -> Bool {
  character == " " || character == "\t" || character == "\n" || character == "\r" || character == "\r\n"
}

extension StringProtocol {
  fileprivate func trimmingCronWhitespace() -> SubSequence {
    guard let first = firstIndex(where: { !isCronSpace($0) }), let last = lastIndex(where: { !isCronSpace($0) })
    else {
      return self[endIndex..<endIndex]
    }
    return self[first...last]
  }
}
