import Foundation
import TestSupport
import Testing

@testable import SmartLampCore

@Suite struct ScheduleWindowTests {
  private func window(_ start: Int, _ end: Int, _ interval: Int) -> ScheduleWindow? {
    do {
      return try ScheduleWindow(startSecond: start, endSecond: end, intervalSeconds: interval)
    } catch {
      Issue.record("window rejected: \(error)")
      return nil
    }
  }

  private func trigger(_ text: String, _ window: ScheduleWindow?) -> ScheduleTrigger? {
    guard let expression = cron(text) else { return nil }
    return ScheduleTrigger(cron: expression, window: window)
  }

  static let rejected: [(Int, Int, Int, ScheduleWindowError)] = [
    (-1, 10, 1, .startOutOfRange(-1)), (86_400, 10, 1, .startOutOfRange(86_400)),
    (0, 86_400, 1, .endOutOfRange(86_400)), (0, -5, 1, .endOutOfRange(-5)),
    (3_600, 3_600, 60, .emptyWindow), (0, 10, 0, .intervalOutOfRange(0)), (0, 10, 86_401, .intervalOutOfRange(86_401)),
  ]

  @Test(arguments: rejected)
  func rejectsBadConfigurations(_ start: Int, _ end: Int, _ interval: Int, _ expected: ScheduleWindowError) {
    #expect(throws: expected) { try ScheduleWindow(startSecond: start, endSecond: end, intervalSeconds: interval) }
    #expect(!expected.description.isEmpty)
  }

  @Test func containsIsEndExclusive() {
    guard let day = window(64_800, 82_800, 60), let night = window(79_200, 7_200, 60) else { return }
    #expect(!day.isOvernight)
    #expect(day.contains(64_800) && day.contains(82_799))
    #expect(!day.contains(82_800) && !day.contains(64_799))
    #expect(night.isOvernight)
    #expect(night.contains(79_200) && night.contains(86_399) && night.contains(0) && night.contains(7_199))
    #expect(!night.contains(7_200) && !night.contains(79_199) && !night.contains(40_000))
  }

  @Test func slotsCountFromTheStartAcrossMidnight() {
    guard let night = window(82_800, 3_600, 1_500) else { return }  // 23:00–01:00 every 25 minutes
    let slots = (0..<86_400).filter { night.isSlot($0) }
    // 85 800 + 1 500 = 900 after midnight, then 2 400; 3 900 is past the end.
    #expect(slots == [900, 2_400, 82_800, 84_300, 85_800])
    #expect(night.isSlot(900) && !night.isSlot(0) && !night.isSlot(3_600))
  }

  @Test func nextSlotSecondMatchesAScan() {
    var random = SplitMix64(seed: 15)
    for _ in 0..<60 {
      let start = Int.random(in: 0..<86_400, using: &random)
      var end = Int.random(in: 0..<86_400, using: &random)
      if end == start { end = (end + 1) % 86_400 }
      let interval = [1, 2, 7, 60, 61, 900, 3_600, 86_400, Int.random(in: 1...86_400, using: &random)].randomElement(
        using: &random)!
      guard let window = window(start, end, interval) else { return }
      let slots = (0..<86_400).filter { window.isSlot($0) }
      for probe in (0..<20).map({ _ in Int.random(in: 0..<86_400, using: &random) }) + [0, start, end, 86_399] {
        #expect(window.nextSlotSecond(atOrAfter: probe) == slots.first(where: { $0 >= probe }))
      }
    }
  }

  /// UPSTREAM §20.15: the cursor was advanced from slot + 1 s, so per-second crons ran every 2 s and a window
  /// with an even interval fired only on one parity, or never.
  @Test(arguments: [60, 2, 5, 1])
  func everySlotOfAPerSecondWindowFires(_ interval: Int) {
    let jakarta = zone("Asia/Jakarta")
    guard let window = window(8 * 3_600, 9 * 3_600, interval), let trigger = trigger("* * * * * *", window) else {
      return
    }
    // Start at an odd second inside the window, as a dashboard creation would.
    let start = instant("2026-03-02T01:00:07Z")  // 08:00:07 local
    let slots = occurrences(of: trigger, after: start, before: instant("2026-03-02T02:00:00Z"), in: jakarta)
    let expected = stride(from: 8 * 3_600, to: 9 * 3_600, by: interval).filter { $0 > 8 * 3_600 + 7 }
    #expect(
      slots.map { Int($0.timeIntervalSince1970) - Int(instant("2026-03-01T17:00:00Z").timeIntervalSince1970) }
        == expected)
  }

  @Test func windowEndsAreExclusiveAsInTheUpstreamExample() {
    let jakarta = zone("Asia/Jakarta")
    guard let on = trigger("* * * * * *", window(18 * 3_600, 23 * 3_600, 60)),
      let off = trigger("* * * * * *", window(23 * 3_600, 23 * 3_600 + 1_800, 60))
    else { return }
    let justBefore = instant("2026-03-02T15:59:59Z")  // 22:59:59 local
    #expect(on.nextSlot(after: justBefore, in: jakarta) == instant("2026-03-03T11:00:00Z"))
    #expect(off.nextSlot(after: justBefore, in: jakarta) == instant("2026-03-02T16:00:00Z"))
  }

  @Test func theCronFiltersDaysOfWeek() {
    guard let weekdays = trigger("* * * * * 1-5", window(8 * 3_600, 8 * 3_600 + 2, 1)) else { return }
    // Friday 2026-03-06 08:00:01 UTC → next is Monday.
    let slots = occurrences(
      of: weekdays, after: instant("2026-03-06T08:00:00Z"), before: instant("2026-03-10T00:00:00Z"), in: utc)
    #expect(
      slots == [instant("2026-03-06T08:00:01Z"), instant("2026-03-09T08:00:00Z"), instant("2026-03-09T08:00:01Z")])
  }

  @Test func overnightWindowsUseTheDateOfEachSlot() {
    guard let saturdayNights = trigger("* * * * * 6", window(22 * 3_600, 2 * 3_600, 3_600)) else { return }
    let slots = occurrences(
      of: saturdayNights, after: instant("2026-03-06T00:00:00Z"), before: instant("2026-03-09T00:00:00Z"), in: utc)
    #expect(
      slots == [
        instant("2026-03-07T00:00:00Z"), instant("2026-03-07T01:00:00Z"), instant("2026-03-07T22:00:00Z"),
        instant("2026-03-07T23:00:00Z"),
      ])
  }

  @Test func aFiveFieldCronWithAWindowHonoursIntervalSeconds() {
    guard let legacy = trigger("* * * * *", window(3_600, 3_660, 20)) else { return }
    let slots = occurrences(
      of: legacy, after: instant("2026-03-06T00:00:00Z"), before: instant("2026-03-07T00:00:00Z"), in: utc)
    #expect(slots == ["00", "20", "40"].map { instant("2026-03-06T01:00:\($0)Z") })
  }

  @Test func aWindowAcrossFallBackFollowsRealInstants() {
    let newYork = zone("America/New_York")
    guard let halfHourly = trigger("* * * * * *", window(3_600, 3 * 3_600, 1_800)) else { return }
    #expect(
      occurrences(
        of: halfHourly, after: instant("2026-11-01T04:59:59Z"), before: instant("2026-11-01T09:00:00Z"), in: newYork)
        == ["05:00", "05:30", "06:00", "06:30", "07:00", "07:30"].map { instant("2026-11-01T\($0):00Z") })
    // Spring forward: the 02:00 and 02:30 slots do not exist and run once, at 03:00 EDT (07:00Z).
    #expect(
      occurrences(
        of: halfHourly, after: instant("2026-03-08T05:59:59Z"), before: instant("2026-03-08T09:00:00Z"), in: newYork)
        == ["06:00", "06:30", "07:00"].map { instant("2026-03-08T\($0):00Z") })
  }

  @Test func initialSlotHonoursStartAndEnd() throws {
    let daily = ScheduleTrigger(cron: try CronExpression(parsing: "0 8 * * *"))
    let now = instant("2026-03-02T00:00:00Z")
    #expect(daily.initialSlot(now: now, in: utc) == instant("2026-03-02T08:00:00Z"))
    // startAt is inclusive.
    #expect(
      daily.initialSlot(now: now, startAt: instant("2026-03-05T08:00:00Z"), in: utc) == instant("2026-03-05T08:00:00Z"))
    #expect(
      daily.initialSlot(now: now, startAt: instant("2026-03-05T08:00:00.5Z"), in: utc)
        == instant("2026-03-06T08:00:00Z"))
    // A startAt in the past counts from now.
    #expect(
      daily.initialSlot(now: now, startAt: instant("2026-01-01T00:00:00Z"), in: utc) == instant("2026-03-02T08:00:00Z"))
    #expect(daily.initialSlot(now: now, endAt: instant("2026-03-02T07:00:00Z"), in: utc) == nil)
    #expect(
      daily.initialSlot(now: now, endAt: instant("2026-03-02T08:00:00Z"), in: utc) == instant("2026-03-02T08:00:00Z"))
  }
}
