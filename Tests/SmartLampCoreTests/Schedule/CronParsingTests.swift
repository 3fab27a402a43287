import Foundation
import Testing

@testable import SmartLampCore

@Suite struct CronParsingTests {
  static let start = instant("2026-01-01T00:00:00Z")  // a Thursday

  /// (expression, the first occurrences after 2026-01-01T00:00:00Z in UTC)
  static let vectors: [(String, [String])] = [
    ("* * * * *", ["2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z"]),
    ("*/15 * * * *", ["2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:45:00Z", "2026-01-01T01:00:00Z"]),
    (
      "10-50/10 * * * * *",
      [
        "2026-01-01T00:00:10Z", "2026-01-01T00:00:20Z", "2026-01-01T00:00:30Z",
        "2026-01-01T00:00:40Z", "2026-01-01T00:00:50Z", "2026-01-01T00:01:10Z",
      ]
    ),
    (
      "5/15 * * * *",
      [
        "2026-01-01T00:05:00Z", "2026-01-01T00:20:00Z", "2026-01-01T00:35:00Z",
        "2026-01-01T00:50:00Z", "2026-01-01T01:05:00Z",
      ]
    ),
    ("0 9,17 * * *", ["2026-01-01T09:00:00Z", "2026-01-01T17:00:00Z", "2026-01-02T09:00:00Z"]),
    ("0 22-23 * * *", ["2026-01-01T22:00:00Z", "2026-01-01T23:00:00Z", "2026-01-02T22:00:00Z"]),
    (
      "1,2,5-7,30-59/15 0 * * *",
      [
        "2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z", "2026-01-01T00:05:00Z",
        "2026-01-01T00:06:00Z", "2026-01-01T00:07:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:45:00Z",
        "2026-01-02T00:01:00Z",
      ]
    ),
    ("0 12 * jan,JUL mon-fri", ["2026-01-01T12:00:00Z", "2026-01-02T12:00:00Z", "2026-01-05T12:00:00Z"]),
    (
      "0 0 1 Feb-Apr *",
      [
        "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z",
        "2027-02-01T00:00:00Z",
      ]
    ),
    ("0 0 * * 7", ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"]),
    ("0 0 * * 0", ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"]),
    ("0 0 * * SUN", ["2026-01-04T00:00:00Z"]),
    (
      "0 0 * * 5-7",
      [
        "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z",
        "2026-01-09T00:00:00Z",
      ]
    ),
    (
      "0 0 * * fri-sun",
      [
        "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z",
        "2026-01-09T00:00:00Z",
      ]
    ),
    ("0 0 * * 7/2", ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"]),
    ("0 0 * * 5/1", ["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-09T00:00:00Z"]),
    ("0 0 ? * 1", ["2026-01-05T00:00:00Z", "2026-01-12T00:00:00Z"]),
    ("0 0 15 * ?", ["2026-01-15T00:00:00Z", "2026-02-15T00:00:00Z"]),
    (
      "0 0 L * *",
      [
        "2026-01-31T00:00:00Z", "2026-02-28T00:00:00Z", "2026-03-31T00:00:00Z",
        "2026-04-30T00:00:00Z",
      ]
    ),
    ("0 9 * * 5L", ["2026-01-30T09:00:00Z", "2026-02-27T09:00:00Z", "2026-03-27T09:00:00Z"]),
    ("0 9 * * 5#3", ["2026-01-16T09:00:00Z", "2026-02-20T09:00:00Z", "2026-03-20T09:00:00Z"]),
    ("0 9 * * fri#5", ["2026-01-30T09:00:00Z", "2026-05-29T09:00:00Z", "2026-07-31T09:00:00Z"]),
    (
      "0 9 * * 1#1,5L",
      [
        "2026-01-05T09:00:00Z", "2026-01-30T09:00:00Z", "2026-02-02T09:00:00Z",
        "2026-02-27T09:00:00Z",
      ]
    ),
    ("@yearly", ["2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"]),
    ("@annually", ["2027-01-01T00:00:00Z"]),
    ("@monthly", ["2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"]),
    ("@weekly", ["2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"]),
    ("@daily", ["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"]),
    ("@MIDNIGHT", ["2026-01-02T00:00:00Z"]),
    ("@hourly", ["2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"]),
    ("  30   4\t1 * *  ", ["2026-01-01T04:30:00Z", "2026-02-01T04:30:00Z"]),
    ("0 0 0 1 1 *", ["2027-01-01T00:00:00Z"]),
    ("59 59 23 31 12 *", ["2026-12-31T23:59:59Z", "2027-12-31T23:59:59Z"]),
    ("*/2 * * * * *", ["2026-01-01T00:00:02Z", "2026-01-01T00:00:04Z"]),
    // 0,2,4,6 = Sunday, Tuesday, Thursday, Saturday
    (
      "0 0 0 * * 0-7/2",
      [
        "2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z",
        "2026-01-06T00:00:00Z",
      ]
    ),
  ]

  @Test(arguments: vectors)
  func parsesAndSchedules(_ text: String, _ expected: [String]) {
    // Vectors starting at midnight use a start one second earlier so that a 00:00:00 first match is included.
    let from = expected.first == "2026-01-01T00:00:00Z" ? Self.start.addingTimeInterval(-1) : Self.start
    let got = occurrences(text, after: from, in: utc, count: expected.count)
    #expect(got == expected.map(instant), "\(text)")
  }

  @Test func keepsTheSourceAndFieldCount() throws {
    let five = try CronExpression(parsing: " 0 8 * * * ")
    #expect(five.source == "0 8 * * *")
    #expect(!five.hasSecondsField)
    #expect(try CronExpression(parsing: "* 0 8 * * *").hasSecondsField)
    #expect(try !CronExpression(parsing: "@daily").hasSecondsField)
    #expect(five.description == "0 8 * * *")
  }

  @Test func classifiesRealInstantPatterns() throws {
    for text in ["* * * * *", "* * * * * *", "0 * * * *", "*/5 * * * *", "* 2 * * *", "* 0 3 * * *"] {
      #expect(try CronExpression(parsing: text).followsRealInstants, "\(text)")
    }
    for text in ["30 2 * * *", "0 0 * * *", "*/5 1 * * *", "0 0 0 1 1 *", "@daily"] {
      #expect(try !CronExpression(parsing: text).followsRealInstants, "\(text)")
    }
  }

  static let rejections: [(String, CronError)] = [
    ("", .empty),
    ("   \t ", .empty),
    (String(repeating: "* ", count: 129), .tooLong(length: 258, maximum: 256)),
    ("* * * *", .wrongFieldCount(found: 4)),
    ("* * * * * * *", .wrongFieldCount(found: 7)),
    ("@daily *", .wrongFieldCount(found: 2)),
    ("@minutely", .unknownMacro("@minutely")),
    ("@reboot", .unknownMacro("@reboot")),
    ("@", .unknownMacro("@")),
    ("0 25 * * *", .invalidField(name: "hour", value: "25", reason: "out of range 0–23")),
    ("60 * * * *", .invalidField(name: "minute", value: "60", reason: "out of range 0–59")),
    ("60 * * * * *", .invalidField(name: "second", value: "60", reason: "out of range 0–59")),
    ("0 0 0 * *", .invalidField(name: "day-of-month", value: "0", reason: "out of range 1–31")),
    ("0 0 32 * *", .invalidField(name: "day-of-month", value: "32", reason: "out of range 1–31")),
    ("0 0 * 13 *", .invalidField(name: "month", value: "13", reason: "out of range 1–12")),
    ("0 0 * 0 *", .invalidField(name: "month", value: "0", reason: "out of range 1–12")),
    ("0 0 * * 8", .invalidField(name: "day-of-week", value: "8", reason: "out of range 0–7")),
    (
      "0 0 * * 99999999999999999999",
      .invalidField(
        name: "day-of-week", value: "99999999999999999999", reason: "out of range 0–7")
    ),
    ("0 1,,2 * * *", .invalidField(name: "hour", value: "1,,2", reason: "empty list item")),
    ("0 1, * * *", .invalidField(name: "hour", value: "1,", reason: "empty list item")),
    ("0 5-3 * * *", .invalidField(name: "hour", value: "5-3", reason: "range start is greater than its end")),
    ("0 3- * * *", .invalidField(name: "hour", value: "3-", reason: "missing value")),
    ("0 -3 * * *", .invalidField(name: "hour", value: "-3", reason: "missing value")),
    ("*/0 * * * *", .invalidField(name: "minute", value: "*/0", reason: "step must be a number 1–60")),
    ("*/61 * * * *", .invalidField(name: "minute", value: "*/61", reason: "step must be a number 1–60")),
    ("*/x * * * *", .invalidField(name: "minute", value: "*/x", reason: "step must be a number 1–60")),
    ("1/2/3 * * * *", .invalidField(name: "minute", value: "1/2/3", reason: "more than one '/'")),
    ("0 0 * * 1/8", .invalidField(name: "day-of-week", value: "1/8", reason: "step must be a number 1–7")),
    (
      "? * * * *",
      .invalidField(name: "minute", value: "?", reason: "'?' is only allowed in day-of-month and day-of-week")
    ),
    (
      "0 L * * *",
      .invalidField(
        name: "hour", value: "L",
        reason: "'L' alone is only allowed in day-of-month; day-of-week takes <weekday>L, e.g. 5L")
    ),
    (
      "0 0 * * L",
      .invalidField(
        name: "day-of-week", value: "L",
        reason: "'L' alone is only allowed in day-of-month; day-of-week takes <weekday>L, e.g. 5L")
    ),
    ("0 0 * * 9L", .invalidField(name: "day-of-week", value: "9", reason: "out of range 0–7")),
    ("0 0 * * 5#6", .invalidField(name: "day-of-week", value: "5#6", reason: "occurrence after '#' must be 1–5")),
    ("0 0 * * 5#0", .invalidField(name: "day-of-week", value: "5#0", reason: "occurrence after '#' must be 1–5")),
    ("0 0 * * 5#", .invalidField(name: "day-of-week", value: "5#", reason: "occurrence after '#' must be 1–5")),
    ("0 0 * * #2", .invalidField(name: "day-of-week", value: "#2", reason: "missing value")),
    ("0 0 1#2 * *", .invalidField(name: "day-of-month", value: "1#2", reason: "'#' is only allowed in day-of-week")),
    ("0 0 * foo *", .invalidField(name: "month", value: "foo", reason: "not a number or a known month name")),
    (
      "0 0 * * funday",
      .invalidField(
        name: "day-of-week", value: "funday", reason: "not a number or a known day-of-week name")
    ),
    ("0 0 * mon *", .invalidField(name: "month", value: "mon", reason: "not a number or a known month name")),
    (
      "0 0 * * jan",
      .invalidField(
        name: "day-of-week", value: "jan", reason: "not a number or a known day-of-week name")
    ),
    ("x * * * *", .invalidField(name: "minute", value: "x", reason: "not a number")),
    ("1x * * * *", .invalidField(name: "minute", value: "1x", reason: "not a number")),
    ("0 0 H * *", .invalidField(name: "day-of-month", value: "H", reason: "not a number")),
    ("0 0 LW * *", .invalidField(name: "day-of-month", value: "LW", reason: "not a number")),
    ("0 0 * * 1-5L", .invalidField(name: "day-of-week", value: "1-5L", reason: "not a number")),
    ("0 ٣ * * *", .invalidField(name: "hour", value: "٣", reason: "not a number")),
  ]

  @Test(arguments: rejections)
  func rejectsWithATypedError(_ text: String, _ expected: CronError) {
    #expect(throws: expected, "\(text)") { try CronExpression(parsing: text) }
  }

  @Test func errorMessagesSayWhatAndWhere() {
    let error = CronError.invalidField(name: "hour", value: "25", reason: "out of range 0–23")
    #expect(error.message == "invalid hour field \"25\": out of range 0–23")
    #expect("\(error)" == error.message)
    #expect(CronError.wrongFieldCount(found: 4).message.contains("found 4"))
    #expect(CronError.unknownMacro("@x").message.contains("@x"))
    #expect(CronError.tooLong(length: 300, maximum: 256).message.contains("300"))
    #expect(CronError.empty.message == "cron expression is empty")
  }
}
