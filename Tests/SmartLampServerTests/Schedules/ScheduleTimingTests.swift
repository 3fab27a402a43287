import Logging
import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

@testable import SmartLampServer

/// When the scheduler wakes, on a mock clock: at the next due slot, early for a schedule created in this process,
/// and after its longest sleep for one written by another. No test sleeps or measures time: each waits until the
/// runner is asleep on the clock and reads the deadline it chose.
@Suite struct ScheduleTimingTests {
  static let t0 = ScheduleRunnerTests.t0
  /// Longer than any slot below, so every deadline is the slot's own.
  static let longSleep: Duration = .seconds(600)

  struct Timed {
    let env: ScheduleRunnerTests.Env
    let clock: MockClock
    /// The clock the services were built with: its wall time is t0 plus the mock's time.
    let serverClock: ServerClock

    func runner(maxWait: Duration = ScheduleTimingTests.longSleep) -> ScheduleRunner {
      ScheduleRunner(
        lamps: env.lamps, executor: env.executor, maxWait: maxWait, clock: serverClock, brokerWaitAtStart: .zero,
        logger: Logger.quiet())
    }

    /// Runs the service until `body` returns.
    func running(_ runner: ScheduleRunner, _ body: (inout AsyncStream<MockClock.Instant>.Iterator) async throws -> Void)
      async throws
    {
      var sleeps = clock.sleeps.makeAsyncIterator()
      let service = Task { try await runner.run() }
      do {
        try await body(&sleeps)
      } catch {
        service.cancel()
        throw error
      }
      service.cancel()
      try await service.value
    }
  }

  func withTimed(_ body: (Timed) async throws -> Void) async throws {
    let clock = MockClock()
    let serverClock = ServerClock(clock, startingAt: Self.t0)
    try await ScheduleRunnerTests().withEnv(.sqlite, clock: serverClock) { env in
      try await body(Timed(env: env, clock: clock, serverClock: serverClock))
    }
  }

  static func at(_ offset: Duration) -> MockClock.Instant { MockClock.Instant(offset: offset) }

  @Test func sleepsUntilTheNextDueSlotAndRunsItThen() async throws {
    try await withTimed { timed in
      // Every minute at second 0; t0 is 16:00:00 UTC, the cursor on 16:01:00.
      let s = try await timed.env.schedule(cron: "0 * * * * *", next: Self.t0 + 60_000)
      try await timed.running(timed.runner()) { sleeps in
        var slept: MockClock.Instant?
        slept = await sleeps.next()
        #expect(slept == Self.at(.seconds(60)))
        #expect(timed.env.executor.calls.isEmpty)
        timed.clock.advance(to: Self.at(.seconds(60)))
        slept = await sleeps.next()
        #expect(slept == Self.at(.seconds(120)))
        try await poll("the slot's command ran") { timed.env.executor.calls.count == 1 }
        #expect(timed.env.executor.calls.map(\.requestId) == ["sch-\(s.id)-\(Self.t0 + 60_000)"])
      }
    }
  }

  @Test func withNothingDueItSleepsItsLongestSleep() async throws {
    try await withTimed { timed in
      try await timed.running(timed.runner(maxWait: .seconds(5))) { sleeps in
        var slept: MockClock.Instant?
        slept = await sleeps.next()
        #expect(slept == Self.at(.seconds(5)))
        timed.clock.advance(by: .seconds(5))
        slept = await sleeps.next()
        #expect(slept == Self.at(.seconds(10)))
      }
    }
  }

  @Test func aScheduleCreatedHereWakesTheRunnerForItsEarlierSlot() async throws {
    try await withTimed { timed in
      try await timed.running(timed.runner()) { sleeps in
        var slept: MockClock.Instant?
        slept = await sleeps.next()
        #expect(slept == Self.at(Self.longSleep))
        // Through the service the routes use: it nudges the runner.
        let fields = ScheduleFields(action: "ON", cron: "30 * * * * *", timezone: "UTC", nextRunAt: 0)
        let admin = timed.env.admin
        let draft = ScheduleService.Draft(
          deviceId: "lamp-a", fields: fields, definition: try ScheduleDefinition(validating: fields), owner: admin.id,
          creator: admin.id)
        let caller = Principal.user(UserPrincipal(id: admin.id, email: admin.email, name: admin.name, role: .admin))
        let s = try await ScheduleService(lamps: timed.env.lamps).create(draft, caller: caller)
        #expect(s.fields.nextRunAt == Self.t0 + 30_000)
        slept = await sleeps.next()
        #expect(slept == Self.at(.seconds(30)))
        timed.clock.advance(by: .seconds(30))
        try await poll("the new schedule's slot ran") { timed.env.executor.calls.count == 1 }
        #expect(timed.env.executor.calls.map(\.requestId) == ["sch-\(s.id)-\(Self.t0 + 30_000)"])
      }
    }
  }

  @Test func aScheduleWrittenByAnotherProcessIsSeenAfterTheLongestSleep() async throws {
    try await withTimed { timed in
      try await timed.running(timed.runner(maxWait: .seconds(5))) { sleeps in
        var slept: MockClock.Instant?
        slept = await sleeps.next()
        #expect(slept == Self.at(.seconds(5)))
        // Straight into the database, as another instance would: no nudge reaches this runner.
        let s = try await timed.env.schedule(cron: "2 * * * * *", next: Self.t0 + 2_000)
        #expect(timed.clock.sleepers == [Self.at(.seconds(5))])
        timed.clock.advance(by: .seconds(5))
        try await poll("the other process's schedule ran") { timed.env.executor.calls.count == 1 }
        #expect(timed.env.executor.calls.map(\.requestId) == ["sch-\(s.id)-\(Self.t0 + 2_000)"])
      }
    }
  }

  @Test func aSlotAlreadyDueIsLookedAtAgainAtOnceOnlyAfterProgress() {
    let wait = Duration.seconds(5)
    #expect(ScheduleRunner.pause(untilDue: nil, now: 1_000, progressed: false, maxWait: wait) == wait)
    #expect(ScheduleRunner.pause(untilDue: 1_250, now: 1_000, progressed: false, maxWait: wait) == .milliseconds(250))
    #expect(ScheduleRunner.pause(untilDue: 99_000, now: 1_000, progressed: false, maxWait: wait) == wait)
    #expect(ScheduleRunner.pause(untilDue: 1_000, now: 1_000, progressed: true, maxWait: wait) == .zero)
    #expect(
      ScheduleRunner.pause(untilDue: 900, now: 1_000, progressed: false, maxWait: wait) == ScheduleRunner.retryInterval)
  }
}
