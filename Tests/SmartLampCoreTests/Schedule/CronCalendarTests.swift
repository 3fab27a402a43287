import Foundation
import Testing

@testable import SmartLampCore

@Suite struct CronCalendarTests {
  @Test func nextIsStrictlyAfterAnExactMatch() {
    let at = instant("2026-05-05T08:00:00Z")
    #expect(occurrences("0 8 * * *", after: at, in: utc, count: 1) == [instant("2026-05-06T08:00:00Z")])
    #expect(
      occurrences("* * * * * *", after: at.addingTimeInterval(0.5), in: utc, count: 2) == [
        instant("2026-05-05T08:00:01Z"), instant("2026-05-05T08:00:02Z"),
      ])
    #expect(
      occurrences("* * * * * *", after: at.addingTimeInterval(-0.25), in: utc, count: 1) == [at])
  }

  @Test func crossesMonthAndYearEnds() {
    #expect(
      occurrences("0 0 31 * *", after: instant("2026-04-01T00:00:00Z"), in: utc, count: 3) == [
        instant("2026-05-31T00:00:00Z"), instant("2026-07-31T00:00:00Z"), instant("2026-08-31T00:00:00Z"),
      ])
    #expect(
      occurrences("59 23 * * *", after: instant("2026-12-31T23:59:00Z"), in: utc, count: 1) == [
        instant("2027-01-01T23:59:00Z")
      ])
    #expect(
      occurrences("0 0 1 1 *", after: instant("2026-12-31T23:59:59Z"), in: utc, count: 1) == [
        instant("2027-01-01T00:00:00Z")
      ])
  }

  @Test func handlesLeapYears() {
    #expect(
      occurrences("0 0 29 2 *", after: instant("2026-01-01T00:00:00Z"), in: utc, count: 2) == [
        instant("2028-02-29T00:00:00Z"), instant("2032-02-29T00:00:00Z"),
      ])
    // 2100 is not a leap year: eight years between Feb 29s, still inside the search horizon.
    #expect(
      occurrences("0 0 29 2 *", after: instant("2096-03-01T00:00:00Z"), in: utc, count: 1) == [
        instant("2104-02-29T00:00:00Z")
      ])
    #expect(
      occurrences("0 0 L 2 *", after: instant("2027-03-01T00:00:00Z"), in: utc, count: 3) == [
        instant("2028-02-29T00:00:00Z"), instant("2029-02-28T00:00:00Z"), instant("2030-02-28T00:00:00Z"),
      ])
    #expect(
      occurrences("0 0 * 2 4L", after: instant("2028-01-01T00:00:00Z"), in: utc, count: 1) == [
        instant("2028-02-24T00:00:00Z")
      ])
  }

  @Test func appliesTheVixieOrRuleOnlyWhenBothDayFieldsAreRestricted() {
    // The 13th or any Friday.
    #expect(
      occurrences("0 0 13 * 5", after: instant("2026-02-01T00:00:00Z"), in: utc, count: 5) == [
        instant("2026-02-06T00:00:00Z"), instant("2026-02-13T00:00:00Z"), instant("2026-02-20T00:00:00Z"),
        instant("2026-02-27T00:00:00Z"), instant("2026-03-06T00:00:00Z"),
      ])
    #expect(
      occurrences("0 0 13 * *", after: instant("2026-02-01T00:00:00Z"), in: utc, count: 2) == [
        instant("2026-02-13T00:00:00Z"), instant("2026-03-13T00:00:00Z"),
      ])
    #expect(
      occurrences("0 0 13 * ?", after: instant("2026-02-01T00:00:00Z"), in: utc, count: 1) == [
        instant("2026-02-13T00:00:00Z")
      ])
    // `*/2` is restricted: the odd days or Mondays.
    #expect(
      occurrences("0 0 */2 * 1", after: instant("2026-06-29T12:00:00Z"), in: utc, count: 3) == [
        instant("2026-07-01T00:00:00Z"), instant("2026-07-03T00:00:00Z"), instant("2026-07-05T00:00:00Z"),
      ])
    // L or the first Monday.
    #expect(
      occurrences("0 0 L * 1#1", after: instant("2026-01-01T00:00:00Z"), in: utc, count: 3) == [
        instant("2026-01-05T00:00:00Z"), instant("2026-01-31T00:00:00Z"), instant("2026-02-02T00:00:00Z"),
      ])
  }

  @Test(arguments: ["0 0 30 2 *", "0 0 31 2,4,6,9,11 *", "* * * 31 4 *", "0 0 31 feb ?", "0 0 0 30 2 *"])
  func neverMatchingReturnsNil(_ text: String) throws {
    let expression = try CronExpression(parsing: text)
    #expect(expression.nextOccurrence(after: instant("2026-01-01T00:00:00Z"), in: utc) == nil)
    #expect(expression.nextOccurrence(after: instant("2026-01-01T00:00:00Z"), in: zone("America/New_York")) == nil)
  }

  @Test func refusesUnrepresentableInstants() throws {
    let everySecond = try CronExpression(parsing: "* * * * * *")
    #expect(everySecond.nextOccurrence(after: Date(timeIntervalSince1970: .infinity), in: utc) == nil)
    #expect(everySecond.nextOccurrence(after: Date(timeIntervalSince1970: .nan), in: utc) == nil)
    #expect(everySecond.nextOccurrence(after: Date(timeIntervalSince1970: 1e300), in: utc) == nil)
    #expect(everySecond.nextOccurrence(after: .distantFuture, in: utc) != nil)
    #expect(everySecond.nextOccurrence(after: .distantPast, in: zone("Europe/Berlin")) != nil)
  }

  @Test func civilArithmeticRoundTrips() {
    for days in stride(from: Int64(-800_000), through: 800_000, by: 997) {
      let (year, month, day) = WallClock.civil(days: days)
      #expect(WallClock.days(year: year, month: month, day: day) == days)
      #expect((1...WallClock.monthLength(year: year, month: month)).contains(day))
    }
    #expect(WallClock.weekday(days: 0) == 4)
    #expect(WallClock.weekday(days: -1) == 3)
  }
}
