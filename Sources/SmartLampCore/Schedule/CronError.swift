/// Why a cron expression was rejected. The server answers `400 SCHEDULE_INVALID_CRON` with ``message``.
public enum CronError: Error, Sendable, Hashable, CustomStringConvertible {
  case empty
  case tooLong(length: Int, maximum: Int)
  case wrongFieldCount(found: Int)
  case unknownMacro(String)
  /// `name` is the field ("second", "minute", "hour", "day-of-month", "month", "day-of-week"), `value` the
  /// offending part of it.
  case invalidField(name: String, value: String, reason: String)

  public var message: String {
    switch self {
    case .empty:
      return "cron expression is empty"
    case .tooLong(let length, let maximum):
      return "cron expression is \(length) bytes long, at most \(maximum) allowed"
    case .wrongFieldCount(let found):
      return "cron expression needs 5 fields (minute hour day-of-month month day-of-week) or 6 (with leading "
        + "seconds), found \(found)"
    case .unknownMacro(let macro):
      return "unknown cron macro \"\(macro)\" (allowed: @yearly @annually @monthly @weekly @daily @midnight @hourly)"
    case .invalidField(let name, let value, let reason):
      return "invalid \(name) field \"\(value)\": \(reason)"
    }
  }

  public var description: String { message }
}
