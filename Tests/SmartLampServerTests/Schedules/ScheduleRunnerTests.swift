import Foundation
import Logging
import SmartLampCore
import SmartLampStore
import Synchronization
import TestSupport
import Testing

@testable import SmartLampServer

/// Records what the runner would publish; fails on demand.
final class RecordingExecutor: ScheduleCommandExecutor {
  struct Call: Sendable, Equatable {
    let deviceId: String
    let action: PowerAction
    let requestId: String
    let scheduleId: Int64
  }

  private let state = Mutex<(calls: [Call], failure: (any Error & Sendable)?, blocks: Bool)>(([], nil, false))

  var calls: [Call] { state.withLock { $0.calls } }

  func failFromNowOn(with error: any Error & Sendable = BrokerUnavailable(reason: "not connected")) {
    state.withLock { $0.failure = error }
  }

  /// Every further command waits until its task is cancelled (a device that never answers, then a shutdown).
  func blockFromNowOn() { state.withLock { $0.blocks = true } }

  func executeScheduled(device: LampDevice, action: PowerAction, requestId: String, scheduleId: Int64, ownerId: Int64)
    async throws -> CommandService.Result
  {
    let (failure, blocks) = state.withLock { state in
      state.calls.append(Call(deviceId: device.deviceId, action: action, requestId: requestId, scheduleId: scheduleId))
      return (state.failure, state.blocks)
    }
    if let failure { throw failure }
    if blocks {
      try await Task.sleep(for: .seconds(3600))
      throw HarnessError("the blocked command was never cancelled")
    }
    return CommandService.Result(
      deviceId: device.deviceId, action: action.rawValue, requestId: requestId, commandChannel: "POWER",
      status: "ACKED", ackLatencyMs: 12)
  }
}

/// The runner driven tick by tick with an explicit `now` (scheduler-runner.test.ts, CONTRACT §9); no broker.
@Suite struct ScheduleRunnerTests {
  /// 2026-01-01T16:00:00Z = 23:00 in Asia/Jakarta.
  static let t0: Int64 = 1_767_283_200_000

  struct Env {
    let server: TestServer
    /// The real database behind `faults`, for checks that must not hit an injected fault.
    let database: any SQLDatabase
    let faults: FaultInjectingDatabase
    let lamps: LampServices
    let executor = RecordingExecutor()
    let admin: UserRecord
    var store: Store { lamps.store }
    var runner: ScheduleRunner {
      ScheduleRunner(
        lamps: lamps, executor: executor, clock: ServerClock(MockClock(), startingAt: ScheduleRunnerTests.t0),
        logger: Logger.quiet())
    }

    func schedule(
      device: String = "lamp-a", owner: Int64? = nil, cron: String = "* * * * * *", action: String = "ON",
      next: Int64 = ScheduleRunnerTests.t0, endAt: Int64? = nil, zone: String = "UTC",
      window: (Int, Int, Int)? = nil
    ) async throws -> ScheduleRecord {
      var fields = ScheduleFields(action: action, cron: cron, timezone: zone, nextRunAt: next, endAt: endAt)
      if let window {
        fields.windowGroupId = "g"
        fields.windowStart = window.0
        fields.windowEnd = window.1
        fields.windowInterval = window.2
      }
      return try await store.schedules.create(
        userId: owner ?? admin.id, createdBy: admin.id, deviceId: device, fields)
    }

    func close() async throws { try await database.close() }
  }

  func withEnv(_ engine: StoreEngine, clock: ServerClock = .system, _ body: (Env) async throws -> Void)
    async throws
  {
    let server = try await TestServer.on(engine)
    let logger = Logger.quiet()
    let database = try await StoreBootstrap.open(configuration: server.configuration, logger: logger)
    let store = Store(database: database)
    let admin = try await store.users.create(
      NewUser(name: "Admin", email: "a@example.com", passwordHash: "x", role: .admin))
    for id in ["lamp-a", "lamp-b"] {
      _ = try await store.devices.create(NewDevice(deviceId: try DeviceID(id), name: id, commandChannel: .power))
    }
    let faults = FaultInjectingDatabase(base: database)
    let lamps = try await LampServices(
      configuration: server.configuration, database: faults, logger: logger,
      dependencies: ServerDependencies(clock: clock))
    let env = Env(server: server, database: database, faults: faults, lamps: lamps, admin: admin)
    do {
      try await body(env)
    } catch {
      try? await env.close()
      throw error
    }
    try await env.close()
  }

  @Test(arguments: StoreEngine.all) func dueSlotRunsOnceAndTheCursorMovesOneSlot(engine: StoreEngine) async throws {
    try await withEnv(engine) { env in
      let s = try await env.schedule()
      let report = try await env.runner.tick(now: Self.t0)
      #expect(report.executed == 1)
      #expect(
        env.executor.calls == [
          .init(deviceId: "lamp-a", action: .on, requestId: "sch-\(s.id)-\(Self.t0)", scheduleId: s.id)
        ])
      let run = try #require(try await env.store.schedules.run(scheduleId: s.id, plannedAt: Self.t0))
      #expect(run.status == "SUCCESS")
      #expect(run.requestId == "sch-\(s.id)-\(Self.t0)")
      #expect(run.ackStatus == "ACKED")
      #expect(run.ackLatencyMs == 12)
      let after = try #require(try await env.store.schedules.byId(s.id))
      // The very next second: per-second crons are not stepped by 2 s (UPSTREAM §20.15).
      #expect(after.fields.nextRunAt == Self.t0 + 1_000)
      #expect(after.lastRunAt == Self.t0)
      // Processing the same instant again publishes nothing more (scheduler-runner.test.ts 1).
      let again = try await env.runner.tick(now: Self.t0)
      #expect(again == ScheduleRunner.Report())
      #expect(env.executor.calls.count == 1)
    }
  }

  @Test(arguments: StoreEngine.all) func aSlotClaimedElsewhereIsNotRunTwice(engine: StoreEngine) async throws {
    try await withEnv(engine) { env in
      let s = try await env.schedule()
      #expect(
        try await env.store.schedules.claim(scheduleId: s.id, deviceInternalId: s.deviceInternalId, plannedAt: Self.t0))
      let report = try await env.runner.tick(now: Self.t0)
      #expect(report.executed == 0)
      #expect(env.executor.calls.isEmpty)
      #expect(try await env.store.schedules.byId(s.id)?.fields.nextRunAt == Self.t0 + 1_000)
    }
  }

  @Test(arguments: StoreEngine.all) func twoRunnersAtOnceRunEachSlotOnce(engine: StoreEngine) async throws {
    try await withEnv(engine) { env in
      for device in ["lamp-a", "lamp-b"] { _ = try await env.schedule(device: device) }
      let first = env.runner
      let second = env.runner
      async let a = first.tick(now: Self.t0)
      async let b = second.tick(now: Self.t0)
      let (ra, rb) = try await (a, b)
      #expect(ra.executed + rb.executed == 2)
      #expect(env.executor.calls.count == 2)
      #expect(Set(env.executor.calls.map(\.requestId)).count == 2)
    }
  }

  @Test(arguments: StoreEngine.all) func missedSlotIsRecordedAndTheCursorJumpsPastNow(engine: StoreEngine) async throws
  {
    try await withEnv(engine) { env in
      let s = try await env.schedule(cron: "0 * * * *", next: Self.t0 - 3_600_000)
      let report = try await env.runner.tick(now: Self.t0 + 90_000)
      #expect(report.skipped == 1)
      #expect(env.executor.calls.isEmpty)
      let run = try #require(try await env.store.schedules.run(scheduleId: s.id, plannedAt: Self.t0 - 3_600_000))
      #expect(run.status == "SKIPPED")
      #expect(run.reason == "MISSED")
      #expect(try await env.store.schedules.byId(s.id)?.fields.nextRunAt == Self.t0 + 3_600_000)
    }
  }

  @Test(arguments: StoreEngine.all) func slotsWithinTheGraceCatchUpInOneTick(engine: StoreEngine) async throws {
    try await withEnv(engine) { env in
      let s = try await env.schedule(next: Self.t0 - 3_000)
      let report = try await env.runner.tick(now: Self.t0)
      #expect(report.executed == 4)
      #expect(
        env.executor.calls.map(\.requestId) == (0...3).map { "sch-\(s.id)-\(Self.t0 - 3_000 + Int64($0) * 1_000)" })
    }
  }

  @Test(arguments: StoreEngine.all) func ownersWhoMayNoLongerRunItAreSkippedWithTheReason(engine: StoreEngine)
    async throws
  {
    try await withEnv(engine) { env in
      let member = try await env.store.users.create(
        NewUser(name: "M", email: "m@example.com", passwordHash: "x", role: .member))
      try await env.store.assignments.assign(
        userId: member.id, deviceId: "lamp-a",
        grant: DeviceGrant(devicePermission: .control, schedulePermission: .manage),
        by: env.admin.id)
      try await env.store.assignments.assign(
        userId: member.id, deviceId: "lamp-b",
        grant: DeviceGrant(devicePermission: .control, schedulePermission: .monitoring),
        by: env.admin.id)
      let allowed = try await env.schedule(owner: member.id)
      let notPermitted = try await env.schedule(device: "lamp-b", owner: member.id)
      #expect(try await env.runner.tick(now: Self.t0).executed == 1)
      #expect(env.executor.calls.map(\.scheduleId) == [allowed.id])
      #expect(
        try await env.store.schedules.run(scheduleId: notPermitted.id, plannedAt: Self.t0)?.reason
          == "OWNER_NOT_PERMITTED")
      _ = try await env.store.users.update(member.id, UserChanges(isActive: false))
      let report = try await env.runner.tick(now: Self.t0 + 1_000)
      #expect(report.executed == 0)
      let run = try await env.store.schedules.run(scheduleId: allowed.id, plannedAt: Self.t0 + 1_000)
      #expect(run?.status == "SKIPPED")
      #expect(run?.reason == "OWNER_INACTIVE")
      #expect(env.executor.calls.count == 1)
      // A lasting refusal is one row per streak, not one per slot.
      _ = try await env.runner.tick(now: Self.t0 + 2_000)
      #expect(try await env.store.schedules.run(scheduleId: allowed.id, plannedAt: Self.t0 + 2_000) == nil)
      #expect(try await env.store.schedules.byId(allowed.id)?.fields.nextRunAt == Self.t0 + 3_000)
      #expect(try await env.store.schedules.runs(scheduleId: allowed.id).items.count == 2)
    }
  }

  @Test(arguments: StoreEngine.all) func schedulesPastTheirEndAreDisabled(engine: StoreEngine) async throws {
    try await withEnv(engine) { env in
      let expired = try await env.schedule(next: Self.t0, endAt: Self.t0 - 1)
      let last = try await env.schedule(device: "lamp-b", next: Self.t0, endAt: Self.t0 + 500)
      let report = try await env.runner.tick(now: Self.t0)
      #expect(report.executed == 1)
      #expect(report.disabled == 2)
      #expect(env.executor.calls.map(\.scheduleId) == [last.id])
      #expect(try await env.store.schedules.byId(expired.id)?.fields.enabled == false)
      #expect(try await env.store.schedules.byId(last.id)?.fields.enabled == false)
      #expect(try await env.store.schedules.run(scheduleId: expired.id, plannedAt: Self.t0) == nil)
    }
  }

  @Test(arguments: StoreEngine.all) func aFailedPublishIsRecordedAndNotRetried(engine: StoreEngine) async throws {
    try await withEnv(engine) { env in
      env.executor.failFromNowOn()
      let s = try await env.schedule()
      let report = try await env.runner.tick(now: Self.t0)
      #expect(report.failed == 1)
      let run = try #require(try await env.store.schedules.run(scheduleId: s.id, plannedAt: Self.t0))
      #expect(run.status == "FAILED")
      #expect(run.requestId == "sch-\(s.id)-\(Self.t0)")
      #expect(run.reason?.contains("broker unavailable") == true)
      #expect(try await env.store.schedules.byId(s.id)?.fields.nextRunAt == Self.t0 + 1_000)
    }
  }

  /// scheduler-runner.test.ts 2: ON 18:00–23:00 and OFF 23:00–23:30 (Jakarta) at 23:00:00 → only OFF fires.
  @Test(arguments: StoreEngine.all) func windowEndsAreExclusive(engine: StoreEngine) async throws {
    try await withEnv(engine) { env in
      var ids: [String: Int64] = [:]
      for (action, window) in [("ON", (18 * 3600, 23 * 3600, 60)), ("OFF", (23 * 3600, 23 * 3600 + 1800, 60))] {
        let fields = ScheduleFields(
          action: action, cron: "* * * * * *", timezone: "Asia/Jakarta", nextRunAt: 0, windowGroupId: "g",
          windowStart: window.0, windowEnd: window.1, windowInterval: window.2)
        let next = try ScheduleDefinition(validating: fields).firstSlot(now: Self.t0 - 1_000, fields: fields)
        ids[action] = try await env.schedule(
          action: action, next: next, zone: "Asia/Jakarta", window: window
        ).id
      }
      let report = try await env.runner.tick(now: Self.t0)
      #expect(report.executed == 1)
      #expect(env.executor.calls.map(\.action) == [.off])
      #expect(env.executor.calls.first?.scheduleId == ids["OFF"])
      // The OFF rule's next slot is one interval later.
      #expect(try await env.store.schedules.byId(try #require(ids["OFF"]))?.fields.nextRunAt == Self.t0 + 60_000)
    }
  }

  @Test(arguments: StoreEngine.all) func rowsTheAPIWouldRefuseAreDisabled(engine: StoreEngine) async throws {
    try await withEnv(engine) { env in
      let s = try await env.schedule(cron: "not a cron")
      let report = try await env.runner.tick(now: Self.t0)
      #expect(report.disabled == 1)
      #expect(try await env.store.schedules.byId(s.id)?.fields.enabled == false)
    }
  }

  // MARK: every claimed slot ends in a final status

  /// The SQL of ``ScheduleRepository/complete(scheduleId:plannedAt:_:)`` (the outcome of a claimed slot).
  static let recordOutcome = "request_id = ?, executed_at = ?"

  func realRun(_ env: Env, _ s: ScheduleRecord, plannedAt: Int64 = t0) async throws -> ScheduleRunRecord {
    try #require(try await Store(database: env.database).schedules.run(scheduleId: s.id, plannedAt: plannedAt))
  }

  @Test(arguments: StoreEngine.all) func anUnexpectedErrorInTheCommandIsRecordedWithItsText(engine: StoreEngine)
    async throws
  {
    try await withEnv(engine) { env in
      env.executor.failFromNowOn(with: HarnessError("disk full"))
      let s = try await env.schedule()
      #expect(try await env.runner.tick(now: Self.t0).failed == 1)
      let run = try await realRun(env, s)
      #expect(run.status == "FAILED")
      #expect(run.reason == "ERROR: disk full")
      #expect(run.requestId == "sch-\(s.id)-\(Self.t0)")
    }
  }

  @Test(arguments: StoreEngine.all) func anOutcomeTheDatabaseRefusesAtFirstIsWrittenOnRetry(engine: StoreEngine)
    async throws
  {
    try await withEnv(engine) { env in
      let s = try await env.schedule()
      env.faults.fail(statementsContaining: Self.recordOutcome, times: 2)
      #expect(try await env.runner.tick(now: Self.t0).executed == 1)
      let run = try await realRun(env, s)
      #expect(run.status == "SUCCESS")
      #expect(run.ackStatus == "ACKED")
    }
  }

  @Test(arguments: StoreEngine.all) func aClaimWhoseOutcomeIsLostIsMarkedAbandonedByALaterTick(engine: StoreEngine)
    async throws
  {
    try await withEnv(engine) { env in
      let s = try await env.schedule()
      env.faults.fail(statementsContaining: Self.recordOutcome)
      _ = try await env.runner.tick(now: Self.t0)
      #expect(env.executor.calls.count == 1)
      #expect(try await realRun(env, s).reason == ScheduleRepository.claimedReason)
      env.faults.heal()
      // Later ticks only look for abandoned claims.
      try await env.store.schedules.disable(s.id)
      // While its lease lasts the claim may still be running somewhere: left alone. Its runner holds no claim in
      // flight any more (the outcome was lost, not pending), so nobody renews the lease.
      let lease = env.runner.leaseMs
      #expect(try await env.runner.tick(now: Self.t0 + lease).abandoned == 0)
      #expect(try await realRun(env, s).reason == ScheduleRepository.claimedReason)
      // Once the lease ended (seconds, not the five minutes of a claim without one) any instance's tick finishes it.
      #expect(try await env.runner.tick(now: Self.t0 + lease + 1).abandoned == 1)
      let run = try await realRun(env, s)
      #expect(run.status == "FAILED")
      #expect(run.reason == "ABANDONED")
      #expect(env.executor.calls.count == 1)
    }
  }

  @Test(arguments: StoreEngine.all) func theClaimAndTheCursorMoveAreOneTransaction(engine: StoreEngine) async throws {
    try await withEnv(engine) { env in
      let s = try await env.schedule()
      env.faults.fail(statementsContaining: "UPDATE device_schedules SET next_run_at", times: 1)
      await #expect(throws: FaultInjectingDatabase.InjectedFault.self) { try await env.runner.tick(now: Self.t0) }
      // Rolled back together: no claim left behind, the cursor still on the slot, nothing published.
      #expect(try await Store(database: env.database).schedules.run(scheduleId: s.id, plannedAt: Self.t0) == nil)
      #expect(try await env.store.schedules.byId(s.id)?.fields.nextRunAt == Self.t0)
      #expect(env.executor.calls.isEmpty)
      // The next tick runs the slot, once.
      #expect(try await env.runner.tick(now: Self.t0).executed == 1)
      #expect(try await realRun(env, s).status == "SUCCESS")
    }
  }

  @Test(arguments: StoreEngine.all) func aTickThatFailsAfterClaimingStillRunsWhatItClaimed(engine: StoreEngine)
    async throws
  {
    try await withEnv(engine) { env in
      let first = try await env.schedule()
      let second = try await env.schedule(device: "lamp-b")
      // The second schedule's claim fails; the first is already claimed by then.
      env.faults.fail(statementsContaining: "INTO schedule_runs", after: 1, times: 1)
      await #expect(throws: FaultInjectingDatabase.InjectedFault.self) { try await env.runner.tick(now: Self.t0) }
      #expect(env.executor.calls.map(\.scheduleId) == [first.id])
      #expect(try await realRun(env, first).status == "SUCCESS")
      #expect(try await Store(database: env.database).schedules.run(scheduleId: second.id, plannedAt: Self.t0) == nil)
      #expect(try await env.runner.tick(now: Self.t0).executed == 1)
      #expect(try await realRun(env, second).status == "SUCCESS")
    }
  }

  /// The service itself (child tasks), stopped by cancellation while a command waits for its device.
  @Test(arguments: StoreEngine.all) func aCommandCancelledAtShutdownIsRecordedCancelled(engine: StoreEngine)
    async throws
  {
    try await withEnv(engine) { env in
      env.executor.blockFromNowOn()
      let s = try await env.schedule()
      let runner = ScheduleRunner(
        lamps: env.lamps, executor: env.executor, maxWait: .milliseconds(20),
        clock: ServerClock(MockClock(), startingAt: ScheduleRunnerTests.t0), brokerWaitAtStart: .zero,
        logger: Logger.quiet())
      let service = Task { try await runner.run() }
      try await poll("the command started") { !env.executor.calls.isEmpty }
      #expect(try await realRun(env, s).reason == ScheduleRepository.claimedReason)
      service.cancel()
      try await service.value
      let run = try await realRun(env, s)
      #expect(run.status == "FAILED")
      #expect(run.reason == "CANCELLED")
      #expect(env.executor.calls.count == 1)
    }
  }

  /// A live runner keeps its claims: while a command runs, every tick extends its lease, so another instance's sweep
  /// past the first lease leaves the claim alone (only a runner that stopped ticking loses its claims).
  @Test(arguments: StoreEngine.all) func aCommandStillRunningKeepsItsClaimLeased(engine: StoreEngine) async throws {
    try await withEnv(engine) { env in
      env.executor.blockFromNowOn()
      // Daily at 16:00:00 UTC, due at t0: moving the clock by seconds makes no other slot due.
      let s = try await env.schedule(cron: "0 0 16 * * *")
      let mock = MockClock()
      let runner = ScheduleRunner(
        lamps: env.lamps, executor: env.executor, maxWait: .milliseconds(20),
        clock: ServerClock(mock, startingAt: ScheduleRunnerTests.t0), brokerWaitAtStart: .zero,
        logger: Logger.quiet())
      func lease() async throws -> (holder: String?, until: Int64?) {
        try await env.database.read { conn in
          let row = try conn.queryOne(
            "SELECT claimed_by, lease_until FROM schedule_runs WHERE schedule_id = ?",
            [
              .int64(s.id)
            ])
          return (try row?.optionalString("claimed_by"), try row?.optionalInt64("lease_until"))
        }
      }
      let service = Task { try await runner.run() }
      try await poll("the command started") { !env.executor.calls.isEmpty }
      #expect(try await lease() == (runner.leaseHolder, ScheduleRunnerTests.t0 + runner.leaseMs))
      let later = ScheduleRunnerTests.t0 + runner.leaseMs + 5_000
      // The runner sleeps on the mock clock: moving it past the first lease wakes it for a tick at `later`.
      mock.advance(by: .milliseconds(later - ScheduleRunnerTests.t0))
      try await poll("the lease was renewed") { try await lease().until == later + runner.leaseMs }
      #expect(
        try await env.store.schedules.failAbandonedClaims(
          claimedBefore: later - ScheduleRunner.abandonAfterMs, leaseEndedBefore: later) == 0)
      #expect(try await realRun(env, s).reason == ScheduleRepository.claimedReason)
      service.cancel()
      try await service.value
      #expect(env.executor.calls.count == 1)
    }
  }
}
