import Foundation
import Testing

@testable import SmartLampCore

/// CONTRACT §9 DST rules. 2026 transitions used (UTC): New York 03-08 07:00 (02:00 EST → 03:00 EDT) and 11-01 06:00
/// (02:00 EDT → 01:00 EST); Berlin 03-29 01:00 and 10-25 01:00; Lord Howe 04-04 15:00 (02:00 → 01:30) and 10-03 15:30
/// (02:00 → 02:30); Havana 03-08 05:00 (00:00 → 01:00) and 11-01 05:00 (01:00 → 00:00); Santiago 04-05 03:00
/// (00:00 → 23:00 the day before) and 09-06 04:00 (00:00 → 01:00).
@Suite struct CronDSTTests {
  let newYork = zone("America/New_York")

  private func expectGaps(_ dates: [Date], of seconds: TimeInterval, sourceLocation: SourceLocation = #_sourceLocation)
  {
    let gaps = Set(zip(dates, dates.dropFirst()).map { $1.timeIntervalSince($0) })
    #expect(gaps == [seconds], sourceLocation: sourceLocation)
  }

  @Test func theTransitionsAreWhereTheTestsAssume() {
    #expect(newYork.secondsFromGMT(for: instant("2026-03-08T06:59:59Z")) == -18_000)
    #expect(newYork.secondsFromGMT(for: instant("2026-03-08T07:00:00Z")) == -14_400)
    #expect(newYork.secondsFromGMT(for: instant("2026-11-01T05:59:59Z")) == -14_400)
    #expect(newYork.secondsFromGMT(for: instant("2026-11-01T06:00:00Z")) == -18_000)
    let lordHowe = zone("Australia/Lord_Howe")
    #expect(lordHowe.secondsFromGMT(for: instant("2026-04-04T15:00:00Z")) == 37_800)
    #expect(lordHowe.secondsFromGMT(for: instant("2026-10-03T15:30:00Z")) == 39_600)
    #expect(zone("America/Havana").secondsFromGMT(for: instant("2026-03-08T05:00:00Z")) == -14_400)
    #expect(zone("America/Santiago").secondsFromGMT(for: instant("2026-09-06T04:00:00Z")) == -10_800)
  }

  @Test func aDailyJobStaysAtItsLocalTimeAcrossSpringForward() {
    #expect(
      occurrences("0 8 * * *", after: instant("2026-03-06T14:00:00Z"), in: newYork, count: 3) == [
        instant("2026-03-07T13:00:00Z"), instant("2026-03-08T12:00:00Z"), instant("2026-03-09T12:00:00Z"),
      ])
  }

  @Test func aWallTimeInTheGapRunsOnceAtTheFirstInstantAfterIt() {
    #expect(
      occurrences("30 2 * * *", after: instant("2026-03-07T00:00:00Z"), in: newYork, count: 3) == [
        instant("2026-03-07T07:30:00Z"), instant("2026-03-08T07:00:00Z"), instant("2026-03-09T06:30:00Z"),
      ])
    // Three wall times in the gap still run once.
    #expect(
      occurrences("*/20 2 * * *", after: instant("2026-03-08T00:00:00Z"), in: newYork, count: 2) == [
        instant("2026-03-08T07:00:00Z"), instant("2026-03-09T06:00:00Z"),
      ])
  }

  @Test func aRepeatedWallTimeRunsOnceAtItsFirstOccurrence() {
    #expect(
      occurrences("30 1 * * *", after: instant("2026-10-31T00:00:00Z"), in: newYork, count: 3) == [
        instant("2026-10-31T05:30:00Z"), instant("2026-11-01T05:30:00Z"), instant("2026-11-02T06:30:00Z"),
      ])
    // Starting during the second pass of the repeated hour.
    #expect(
      occurrences("30 1 * * *", after: instant("2026-11-01T06:10:00Z"), in: newYork, count: 1) == [
        instant("2026-11-02T06:30:00Z")
      ])
    #expect(
      occurrences("45 1 * * *", after: instant("2026-11-01T05:50:00Z"), in: newYork, count: 1) == [
        instant("2026-11-02T06:45:00Z")
      ])
    #expect(
      occurrences("0 2 * * *", after: instant("2026-11-01T05:50:00Z"), in: newYork, count: 1) == [
        instant("2026-11-01T07:00:00Z")
      ])
  }

  @Test func everyMinuteFollowsRealInstantsAcrossFallBack() {
    let repeated = occurrences(
      "* * * * *", after: instant("2026-11-01T04:59:59Z"), before: instant("2026-11-01T07:00:00Z"), in: newYork)
    #expect(repeated.count == 120)
    expectGaps(repeated, of: 60)
    // The local day of 2026-11-01 lasts 25 hours.
    let day = occurrences(
      "* * * * *", after: instant("2026-11-01T03:59:59Z"), before: instant("2026-11-02T05:00:00Z"), in: newYork)
    #expect(day.count == 25 * 60)
    expectGaps(day, of: 60)
  }

  @Test func everyMinuteFollowsRealInstantsAcrossSpringForward() {
    let day = occurrences(
      "* * * * *", after: instant("2026-03-08T04:59:59Z"), before: instant("2026-03-09T04:00:00Z"), in: newYork)
    #expect(day.count == 23 * 60)
    expectGaps(day, of: 60)
  }

  @Test func hourlyFollowsRealInstants() {
    #expect(
      occurrences(
        "0 * * * *", after: instant("2026-11-01T03:59:59Z"), before: instant("2026-11-01T08:00:01Z"), in: newYork)
        == ["04", "05", "06", "07", "08"].map { instant("2026-11-01T\($0):00:00Z") })
    #expect(
      occurrences(
        "0 * * * *", after: instant("2026-03-08T05:59:59Z"), before: instant("2026-03-08T08:00:01Z"), in: newYork)
        == ["06", "07", "08"].map { instant("2026-03-08T\($0):00:00Z") })
  }

  @Test(arguments: [
    ("America/New_York", "2026-03-08T06:00:00Z"), ("America/New_York", "2026-11-01T05:00:00Z"),
    ("Europe/Berlin", "2026-03-29T00:00:00Z"), ("Europe/Berlin", "2026-10-25T00:00:00Z"),
    ("Australia/Lord_Howe", "2026-04-04T14:00:00Z"), ("Australia/Lord_Howe", "2026-10-03T15:00:00Z"),
    ("America/Havana", "2026-03-08T04:00:00Z"), ("America/Santiago", "2026-04-05T02:00:00Z"),
  ])
  func perSecondRunsExactlyOncePerRealSecond(_ identifier: String, _ from: String) {
    let start = instant(from)
    let runs = occurrences(
      "* * * * * *", after: start.addingTimeInterval(-1), before: start.addingTimeInterval(7_200),
      in: zone(identifier))
    #expect(runs.count == 7_200)
    #expect(runs.first == start)
    expectGaps(runs, of: 1)
  }

  @Test func berlin() {
    let berlin = zone("Europe/Berlin")
    #expect(
      occurrences("30 2 * * *", after: instant("2026-03-28T12:00:00Z"), in: berlin, count: 2) == [
        instant("2026-03-29T01:00:00Z"), instant("2026-03-30T00:30:00Z"),
      ])
    #expect(
      occurrences("30 2 * * *", after: instant("2026-10-24T12:00:00Z"), in: berlin, count: 2) == [
        instant("2026-10-25T00:30:00Z"), instant("2026-10-26T01:30:00Z"),
      ])
    #expect(
      occurrences("0 8 * * *", after: instant("2026-03-28T00:00:00Z"), in: berlin, count: 2) == [
        instant("2026-03-28T07:00:00Z"), instant("2026-03-29T06:00:00Z"),
      ])
  }

  @Test func lordHoweShiftsByThirtyMinutes() {
    let lordHowe = zone("Australia/Lord_Howe")
    #expect(
      occurrences("45 1 * * *", after: instant("2026-04-04T00:00:00Z"), in: lordHowe, count: 2) == [
        instant("2026-04-04T14:45:00Z"), instant("2026-04-05T15:15:00Z"),
      ])
    #expect(
      occurrences("15 2 * * *", after: instant("2026-10-03T00:00:00Z"), in: lordHowe, count: 2) == [
        instant("2026-10-03T15:30:00Z"), instant("2026-10-04T15:15:00Z"),
      ])
    let fallBack = occurrences(
      "* * * * *", after: instant("2026-04-04T13:59:59Z"), before: instant("2026-04-04T16:00:00Z"), in: lordHowe)
    #expect(fallBack.count == 120)
    expectGaps(fallBack, of: 60)
    let springForward = occurrences(
      "* * * * *", after: instant("2026-10-03T14:59:59Z"), before: instant("2026-10-03T16:00:00Z"), in: lordHowe)
    #expect(springForward.count == 60)
    expectGaps(springForward, of: 60)
  }

  @Test func jakartaHasNoTransitions() {
    let jakarta = zone("Asia/Jakarta")
    #expect(
      occurrences("0 8 * * *", after: instant("2026-03-07T00:00:00Z"), in: jakarta, count: 3) == [
        instant("2026-03-07T01:00:00Z"), instant("2026-03-08T01:00:00Z"), instant("2026-03-09T01:00:00Z"),
      ])
    let day = occurrences(
      "* * * * *", after: instant("2026-03-07T16:59:59Z"), before: instant("2026-03-08T17:00:00Z"), in: jakarta)
    #expect(day.count == 1_440)
  }

  @Test func havanaSkipsAndRepeatsMidnight() {
    let havana = zone("America/Havana")
    #expect(
      occurrences("0 0 * * *", after: instant("2026-03-07T12:00:00Z"), in: havana, count: 2) == [
        instant("2026-03-08T05:00:00Z"), instant("2026-03-09T04:00:00Z"),
      ])
    // 2026-03-08 is a Sunday: the day fields use the local date of the skipped wall time.
    #expect(
      occurrences("30 0 * * sun", after: instant("2026-03-07T12:00:00Z"), in: havana, count: 1) == [
        instant("2026-03-08T05:00:00Z")
      ])
    #expect(
      occurrences("30 0 * * *", after: instant("2026-10-31T12:00:00Z"), in: havana, count: 2) == [
        instant("2026-11-01T04:30:00Z"), instant("2026-11-02T05:30:00Z"),
      ])
  }

  @Test func santiagoRepeatsTheLastHourOfTheDayAndSkipsMidnight() {
    let santiago = zone("America/Santiago")
    #expect(
      occurrences("30 23 * * *", after: instant("2026-04-04T12:00:00Z"), in: santiago, count: 2) == [
        instant("2026-04-05T02:30:00Z"), instant("2026-04-06T03:30:00Z"),
      ])
    #expect(
      occurrences("0 0 * * *", after: instant("2026-04-04T12:00:00Z"), in: santiago, count: 1) == [
        instant("2026-04-05T04:00:00Z")
      ])
    #expect(
      occurrences("0 0 * * *", after: instant("2026-09-05T12:00:00Z"), in: santiago, count: 2) == [
        instant("2026-09-06T04:00:00Z"), instant("2026-09-07T03:00:00Z"),
      ])
    #expect(
      occurrences("15 0 6 9 *", after: instant("2026-09-01T00:00:00Z"), in: santiago, count: 1) == [
        instant("2026-09-06T04:00:00Z")
      ])
  }

  @Test func resultsAreStrictlyAfterAndMatchTheirWallTime() throws {
    // Around every 2026 transition of several zones, each occurrence is later than its start and either shows a
    // matching wall time or is the first instant after a gap.
    let expressions = try ["0 8 * * *", "30 2 * * *", "*/7 * * * *", "15 1,2,3 * * *", "0 0 * * 0"].map {
      try CronExpression(parsing: $0)
    }
    for identifier in ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "America/Santiago"] {
      let zone = zone(identifier)
      var cursor = instant("2026-01-01T00:00:00Z")
      for expression in expressions {
        for _ in 0..<400 {
          guard let next = expression.nextOccurrence(after: cursor, in: zone) else {
            Issue.record("no occurrence for \(expression) in \(identifier)")
            break
          }
          #expect(next > cursor)
          let seconds = Int64(next.timeIntervalSince1970)
          let wall = seconds + Int64(zone.secondsFromGMT(for: next))
          let afterGap = zone.secondsFromGMT(for: next.addingTimeInterval(-1)) < zone.secondsFromGMT(for: next)
          #expect(expression.matches(wall: wall) || afterGap, "\(expression) \(identifier) \(next)")
          cursor = next
        }
      }
    }
  }
}
