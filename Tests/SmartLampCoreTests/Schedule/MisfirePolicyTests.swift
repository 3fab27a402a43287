import Foundation
import Testing

@testable import SmartLampCore

@Suite struct MisfirePolicyTests {
  let minutely = ScheduleTrigger(cron: try! CronExpression(parsing: "* * * * *"))
  let perSecond = ScheduleTrigger(cron: try! CronExpression(parsing: "* * * * * *"))
  let planned = instant("2026-03-02T08:00:00Z")

  @Test func defaultsToSixtySeconds() {
    #expect(MisfirePolicy().graceSeconds == 60)
    #expect(MisfirePolicy(graceSeconds: -5).graceSeconds == 0)
  }

  @Test func aSlotWithinTheGraceRunsAndTheCursorMovesToTheNextSlot() {
    let policy = MisfirePolicy()
    #expect(
      policy.decide(plannedAt: planned, now: planned.addingTimeInterval(0.2), trigger: minutely, in: utc)
        == .execute(nextCursor: instant("2026-03-02T08:01:00Z")))
    // Exactly the grace still runs; the next cursor may already be due.
    #expect(
      policy.decide(plannedAt: planned, now: planned.addingTimeInterval(60), trigger: minutely, in: utc)
        == .execute(nextCursor: instant("2026-03-02T08:01:00Z")))
  }

  @Test func anOlderSlotIsMissedAndTheCursorJumpsPastNow() {
    let policy = MisfirePolicy()
    #expect(policy.isMissed(plannedAt: planned, now: planned.addingTimeInterval(60.001)))
    #expect(
      policy.decide(plannedAt: planned, now: planned.addingTimeInterval(60.001), trigger: minutely, in: utc)
        == .missed(nextCursor: instant("2026-03-02T08:02:00Z")))
    // After an hour down, a per-second schedule records one missed slot and resumes at the next second.
    #expect(
      policy.decide(plannedAt: planned, now: instant("2026-03-02T09:00:00.4Z"), trigger: perSecond, in: utc)
        == .missed(nextCursor: instant("2026-03-02T09:00:01Z")))
    #expect(
      MisfirePolicy(graceSeconds: 3_600).decide(
        plannedAt: planned, now: instant("2026-03-02T08:59:00Z"), trigger: perSecond, in: utc)
        == .execute(nextCursor: instant("2026-03-02T08:00:01Z")))
  }

  @Test func futureSlotsAreNotDue() {
    #expect(
      MisfirePolicy().decide(plannedAt: planned, now: planned.addingTimeInterval(-1), trigger: minutely, in: utc)
        == .notDue)
  }

  @Test func endAtStopsTheSchedule() {
    let policy = MisfirePolicy()
    #expect(
      policy.decide(
        plannedAt: planned, now: planned.addingTimeInterval(120), trigger: minutely, in: utc,
        endAt: planned.addingTimeInterval(-1)) == .expired)
    #expect(
      policy.decide(plannedAt: planned, now: planned, trigger: minutely, in: utc, endAt: planned.addingTimeInterval(30))
        == .execute(nextCursor: nil))
    #expect(
      policy.decide(
        plannedAt: planned, now: planned.addingTimeInterval(600), trigger: minutely, in: utc,
        endAt: planned.addingTimeInterval(300)) == .missed(nextCursor: nil))
  }

  @Test func aNeverMatchingCronLeavesNoCursor() throws {
    let never = ScheduleTrigger(cron: try CronExpression(parsing: "0 0 30 2 *"))
    #expect(
      MisfirePolicy().decide(plannedAt: planned, now: planned, trigger: never, in: utc) == .execute(nextCursor: nil))
  }
}
