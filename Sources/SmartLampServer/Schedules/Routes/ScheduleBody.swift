import Foundation
import SmartLampCore

/// The fields of a schedule body (POST and PATCH, upstream-spec §5.6), parsed and checked field by field
/// (CONTRACT §1, §9). Cron and time zone are checked later, with their own error codes.
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
  var windowStart: Patch<Int> = .keep
  var windowEnd: Patch<Int> = .keep
  var windowInterval: Patch<Int> = .keep
  var misfireGraceSec: Int?

  /// Parses a body; `creating` makes `deviceId`, `action`, `cron` and `timezone` required.
  init(_ members: [String: JSONValue], creating: Bool, errors: inout FieldErrors) {
    if creating {
      targetUserId = Self.positiveID(members, "targetUserId", errors: &errors)
      deviceId = Validation.text(
        TextMember(members, "deviceId", errors: &errors).text, field: "deviceId", lengths: 1...DeviceID.maximumLength,
        into: &errors)
    }
    let actionText = TextMember(members, "action", errors: &errors).text
    if let actionText {
      action = PowerAction(parsing: actionText)
      if action == nil { errors.add("action", "must be ON or OFF") }
    } else if creating || members["action"] == .null {
      errors.add("action", "is required")
    }
    cron = Self.requiredText(members, "cron", maximum: CronExpression.maximumLength, creating: creating, &errors)
    timezone = Self.requiredText(
      members, "timezone", maximum: ScheduleTimeZone.maximumLength, creating: creating, &errors)
    switch members["enabled"] {
    case .none: break
    case .some(.bool(let value)): enabled = value
    case .some: errors.add("enabled", "must be a boolean")
    }
    startAt = Self.instant(members, "startAt", errors: &errors)
    endAt = Self.instant(members, "endAt", errors: &errors)
    switch TextMember(members, "windowGroupId", errors: &errors) {
    case .absent: break
    case .null: windowGroupId = .clear
    case .text(let text):
      if let value = Validation.text(text, field: "windowGroupId", lengths: Self.windowGroupLengths, into: &errors) {
        windowGroupId = .set(value)
      }
    }
    windowStart = Self.int(members, "windowStartMinute", in: Self.secondOfDay, errors: &errors)
    windowEnd = Self.int(members, "windowEndMinute", in: Self.secondOfDay, errors: &errors)
    windowInterval = Self.int(members, "enforceEveryMinute", in: Self.intervalSeconds, errors: &errors)
    switch Self.int(members, "misfireGraceSec", in: Self.misfireGrace, errors: &errors) {
    case .set(let value): misfireGraceSec = value
    case .clear: errors.add("misfireGraceSec", "must be a whole number")
    case .keep: break
    }
  }

  /// A text member that may not be null: 1…`maximum` characters after trimming; absent is fine on PATCH.
  private static func requiredText(
    _ members: [String: JSONValue], _ field: String, maximum: Int, creating: Bool, _ errors: inout FieldErrors
  ) -> String? {
    let member = TextMember(members, field, errors: &errors)
    if member == .absent && !creating { return nil }
    return Validation.text(member.text, field: field, lengths: 1...maximum, into: &errors)
  }

  private static func positiveID(_ members: [String: JSONValue], _ field: String, errors: inout FieldErrors) -> Int64? {
    switch members[field] {
    case .none, .some(.null): return nil
    case .some(.int(let value)) where value > 0: return Int64(value)
    case .some(.double(let value)) where value > 0 && value == value.rounded() && value < 9e15: return Int64(value)
    case .some:
      errors.add(field, "must be a positive integer")
      return nil
    }
  }

  static func int(
    _ members: [String: JSONValue], _ field: String, in range: ClosedRange<Int>, errors: inout FieldErrors
  )
    -> Patch<Int>
  {
    let number: Int
    switch members[field] {
    case .none: return .keep
    case .some(.null): return .clear
    case .some(.int(let value)): number = value
    case .some(.double(let value)) where value == value.rounded() && abs(value) < 1e15: number = Int(value)
    case .some:
      errors.add(field, "must be a whole number")
      return .keep
    }
    guard range.contains(number) else {
      errors.add(field, "must be between \(range.lowerBound) and \(range.upperBound)")
      return .keep
    }
    return .set(number)
  }

  /// An ISO-8601 date-time (upstream) or epoch milliseconds (as the DTO shows it).
  static func instant(_ members: [String: JSONValue], _ field: String, errors: inout FieldErrors) -> Patch<Int64> {
    switch members[field] {
    case .none: return .keep
    case .some(.null): return .clear
    case .some(.int(let value)) where value >= 0 && value < 253_402_300_800_000: return .set(Int64(value))
    case .some(.string(let text)) where text.count <= 40:
      let date =
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
        ?? (try? Date.ISO8601FormatStyle().parse(text))
      if let date { return .set(Int64((date.timeIntervalSince1970 * 1000).rounded())) }
    default: break
    }
    errors.add(field, "must be an ISO-8601 date-time (e.g. 2026-01-01T08:00:00Z) or epoch milliseconds")
    return .keep
  }
}
