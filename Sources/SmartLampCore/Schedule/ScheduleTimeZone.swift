import Foundation

/// Validation of a schedule's time zone (`400 SCHEDULE_INVALID_TIMEZONE` when rejected).
public enum ScheduleTimeZone {
  public static let maximumLength = 64

  /// Resolves an IANA zone name (aliases such as `US/Eastern` and `UTC` included). Custom offsets such as `GMT+7`
  /// or `UTC+07:00`, which Foundation would accept but are not IANA names, are rejected.
  @discardableResult
  public static func validate(_ identifier: String) throws(ScheduleTimeZoneError) -> TimeZone {
    guard !identifier.isEmpty else { throw .empty }
    guard identifier.utf8.count <= maximumLength,
      identifier.utf8.allSatisfy({ isIdentifierByte($0) }),
      !["GMT+", "GMT-", "UTC+", "UTC-"].contains(where: { identifier.hasPrefix($0) }),
      let zone = TimeZone(identifier: identifier),
      zone.identifier == identifier || identifier == "UTC"
    else { throw .unknown(identifier) }
    return zone
  }

  private static func isIdentifierByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "/"), UInt8(ascii: "_"), UInt8(ascii: "+"),
      UInt8(ascii: "-"):
      return true
    default:
      return false
    }
  }
}

public enum ScheduleTimeZoneError: Error, Sendable, Hashable, CustomStringConvertible {
  case empty
  case unknown(String)

  public var description: String {
    switch self {
    case .empty: return "time zone is empty"
    case .unknown(let identifier):
      return "unknown time zone \"\(identifier.prefix(64))\" (expected an IANA name such as Asia/Jakarta)"
    }
  }
}
