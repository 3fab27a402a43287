import Foundation

/// The two time representations of the schema: epoch milliseconds (arithmetic) and ISO-8601 UTC strings with
/// milliseconds (`created_at`, `updated_at`, `deleted_at`).
public enum Timestamp {
  public static func nowMillis() -> Int64 {
    Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
  }

  /// `2026-11-22T18:24:10.123Z` for an epoch-millisecond value.
  public static func iso(_ millis: Int64) -> String {
    // Whole seconds through the formatter and the milliseconds by integer arithmetic: formatting a fractional
    // Date truncates binary fractions (…40.123 would print as …40.122).
    let (seconds, remainder) = millis.quotientAndRemainder(dividingBy: 1000)
    let wholeSeconds = remainder < 0 ? seconds - 1 : seconds
    let fraction = remainder < 0 ? remainder + 1000 : remainder
    let text = Date(timeIntervalSince1970: Double(wholeSeconds)).formatted(Date.ISO8601FormatStyle())
    let digits = String(fraction)
    return text.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
  }

  /// Parses the ISO form written by ``iso(_:)`` (and the same without fractional seconds); nil otherwise.
  public static func millis(fromISO text: String) -> Int64? {
    if let date = try? isoStyle.parse(text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    if let date = try? Date.ISO8601FormatStyle().parse(text) { return Int64(date.timeIntervalSince1970 * 1000) }
    return nil
  }

  private static let isoStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
