import Foundation
import Testing

@testable import SmartLampCore

/// Parses an RFC 3339 timestamp with an explicit offset; a bad literal is a bug in the test itself.
func instant(_ text: String) -> Date {
  do {
    return try Date(text, strategy: Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
  } catch {
    Issue.record("bad timestamp literal \(text)")
    return .distantPast
  }
}

func zone(_ identifier: String) -> TimeZone {
  guard let zone = TimeZone(identifier: identifier) else {
    Issue.record("unknown zone \(identifier)")
    return TimeZone(secondsFromGMT: 0)!
  }
  return zone
}

let utc = zone("UTC")

func cron(_ text: String) -> CronExpression? {
  do {
    return try CronExpression(parsing: text)
  } catch {
    Issue.record("\(text) did not parse: \(error)")
    return nil
  }
}

/// The first `count` occurrences strictly after `start`.
func occurrences(_ text: String, after start: Date, in zone: TimeZone, count: Int) -> [Date] {
  guard let expression = cron(text) else { return [] }
  var result: [Date] = []
  var cursor = start
  while result.count < count, let next = expression.nextOccurrence(after: cursor, in: zone) {
    result.append(next)
    cursor = next
  }
  return result
}

/// Every occurrence in `(start, end)`.
func occurrences(of trigger: ScheduleTrigger, after start: Date, before end: Date, in zone: TimeZone) -> [Date] {
  var result: [Date] = []
  var cursor = start
  while let next = trigger.nextSlot(after: cursor, in: zone), next < end {
    result.append(next)
    cursor = next
    if result.count > 200_000 { break }
  }
  return result
}

func occurrences(_ text: String, after start: Date, before end: Date, in zone: TimeZone) -> [Date] {
  guard let expression = cron(text) else { return [] }
  return occurrences(of: ScheduleTrigger(cron: expression), after: start, before: end, in: zone)
}
