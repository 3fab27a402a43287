import Foundation
import Logging
import ServiceLifecycle
import SmartLampCore
import SmartLampStore
import Synchronization

/// Publishes a scheduled command. ``CommandService`` in the server; tests substitute a recorder.
protocol ScheduleCommandExecutor: Sendable {
  func executeScheduled(device: LampDevice, action: PowerAction, requestId: String, scheduleId: Int64, ownerId: Int64)
    async throws -> CommandService.Result
}

extension CommandService: ScheduleCommandExecutor {
  /// Waits for the device's acknowledgement (≤ ackTimeoutMs) so the run row can record it.
  func executeScheduled(device: LampDevice, action: PowerAction, requestId: String, scheduleId: Int64, ownerId: Int64)
    async throws -> CommandService.Result
  {
    try await execute(
      device: device, action: action, requestId: requestId,
      issuer: Issuer(origin: .schedule, userId: ownerId, scheduleId: scheduleId), waitForAck: true)
  }
}

/// The scheduler of CONTRACT §9 (UPSTREAM §11, corrected): at each due slot it takes the due schedules and,
/// per schedule, decides the slot at its cursor with the misfire policy. A slot older than the grace is recorded
/// `SKIPPED`/`MISSED` and the cursor jumps past now; a slot whose owner may no longer run it is `SKIPPED` with the
/// reason; a slot past `endAt` disables the schedule. Otherwise the slot is claimed (unique per schedule and
/// planned time, so any number of instances run it once), the cursor moves to the next slot strictly after it,
/// and the command goes through ``CommandService`` with request id `sch-<id>-<plannedAt>`; the run row then gets
/// `SUCCESS` (with the acknowledgement) or `FAILED`. Commands run as child tasks so a slow broker or device never
/// delays the next tick.
///
/// A claimed slot always ends in a final status. The claim and the cursor move are one transaction; a tick that
/// fails after claiming some slots still runs those; an error in the command is `FAILED` with its text
/// (`ERROR: …`), a cancelled command (shutdown) is `FAILED`/`CANCELLED`, and the outcome is written outside the
/// task's cancellation, retried twice. Only a process that dies (or a database that refuses every attempt) leaves
/// a `CLAIMED` row. Each claim carries a lease (``ClaimLease``: this runner's ``leaseHolder`` and an end) that the
/// runner extends every tick while it has claims open; any instance's next tick marks a claim whose lease ended
/// `FAILED`/`ABANDONED`, so a SIGKILLed server's claim is closed within ``leaseMs`` plus one tick (11 s with the
/// defaults). Claims without a lease (an older SmartLamp's) are closed after ``abandonAfterMs``. Instances' clocks
/// must agree within the lease; a live runner whose claim was closed early still writes its real outcome over it.
/// A graceful shutdown stops ticking and lets the commands in flight finish first.
struct ScheduleRunner: Service {
  /// One claimed slot waiting for its command.
  struct Execution: Sendable, Hashable {
    let scheduleId: Int64
    let ownerId: Int64
    let device: LampDevice
    let action: PowerAction
    let plannedAt: Int64
    var requestId: String { "sch-\(scheduleId)-\(plannedAt)" }
  }

  /// What one tick did (for logs and tests).
  struct Report: Sendable, Equatable {
    var executed = 0
    var failed = 0
    var skipped = 0
    var disabled = 0
    /// Stale claims marked `ABANDONED`.
    var abandoned = 0
  }

  /// What ``prepare(now:)`` decided: the slots it claimed, and the error that stopped it early, if any.
  struct Prepared: Sendable {
    var executions: [Execution] = []
    var report = Report()
    var error: (any Error)?
  }

  static let batchSize = 50
  /// A schedule whose next slot is due again at once (catching up within the grace) gets this many per tick.
  static let roundsPerTick = 5
  /// A claim without a lease older than this belongs to a runner that is gone.
  static let abandonAfterMs: Int64 = 5 * 60 * 1000
  /// How long a claim's lease lasts past the tick that made or renewed it, at least: two of the default longest
  /// sleeps, so a busy database or a slow tick never ends the lease of a live runner.
  static let minimumLeaseMs: Int64 = 10_000

  /// Names this runner in the claims it makes: host, process id and a random part (a restarted process with the
  /// same pid is another runner, whose predecessor's claims must expire).
  static func newLeaseHolder() -> String {
    let host = ProcessInfo.processInfo.hostName.prefix(100)
    let random = UInt32.random(in: 0...UInt32.max)
    return "\(host)/\(ProcessInfo.processInfo.processIdentifier)/\(String(random, radix: 16))"
  }
  /// The reason of a run whose command was cancelled (shutdown) before its outcome was known.
  static let cancelledReason = "CANCELLED"
  /// Pauses before the second and third attempt to record an outcome.
  static let recordRetryDelays: [Duration] = [.milliseconds(50), .milliseconds(250)]

  /// After a tick that failed (or found due slots it could not settle), the next look comes this much later.
  static let retryInterval: Duration = .seconds(1)

  let lamps: LampServices
  let executor: any ScheduleCommandExecutor
  /// The longest sleep between two looks: schedules changed by another process sharing the database, and stale
  /// claims, are seen within it (changes made here wake the runner at once).
  let maxWait: Duration
  /// Slots are epoch milliseconds of its wall time; the runner sleeps on it until the next one.
  let clock: ServerClock
  /// How long the service waits at start for the broker connection before its first tick.
  let brokerWaitAtStart: Duration
  let logger: Logger
  /// This runner's name in its claims (``ClaimLease/holder``).
  let leaseHolder: String
  /// max(``minimumLeaseMs``, two of the longest sleeps): a live runner ticks at least once per ``maxWait`` and
  /// renews its open leases on every tick.
  let leaseMs: Int64
  /// Claims whose command is still running: their leases are renewed while there are any.
  private let open = OpenClaims()

  init(
    lamps: LampServices, executor: any ScheduleCommandExecutor, maxWait: Duration = .seconds(5),
    clock: ServerClock = .system, brokerWaitAtStart: Duration = .seconds(10), logger: Logger
  ) {
    self.lamps = lamps
    self.executor = executor
    self.maxWait = maxWait
    self.clock = clock
    self.brokerWaitAtStart = brokerWaitAtStart
    leaseHolder = Self.newLeaseHolder()
    let (seconds, attoseconds) = maxWait.components
    leaseMs = max(Self.minimumLeaseMs, 2 * (seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    var logger = logger
    logger[metadataKey: "component"] = "scheduler"
    self.logger = logger
  }

  /// Ticks, then sleeps until the next due slot (at most ``maxWait``), woken early by ``LampServices/scheduleWakeup``.
  func run() async throws {
    await waitForBrokerAtStart()
    await withDiscardingTaskGroup { group in
      while !Task.isShuttingDownGracefully && !Task.isCancelled {
        let prepared = await prepare(now: clock.epochMilliseconds())
        // Claimed slots run even when the tick stopped early: a claim must end in an outcome.
        for execution in prepared.executions {
          open.count.add(1, ordering: .relaxed)
          group.addTask {
            _ = await perform(execution)
            open.count.subtract(1, ordering: .relaxed)
          }
        }
        let report = prepared.report
        if report != Report() {
          logger.debug(
            "tick",
            metadata: [
              "claimed": "\(report.executed)", "skipped": "\(report.skipped)", "disabled": "\(report.disabled)",
              "abandoned": "\(report.abandoned)",
            ])
        }
        if let error = prepared.error {
          logger.warning("scheduler tick failed", metadata: ["error": "\(error)"])
        }
        let pause = await pause(after: prepared)
        guard pause > .zero else { continue }
        let deadline = clock.now.advanced(by: pause)
        await cancelWhenGracefulShutdown { [clock, wakeup = lamps.scheduleWakeup] in
          await wakeup.wait(until: deadline, on: clock)
        }
      }
    }
  }

  /// How long to sleep after a tick: until the earliest cursor of an enabled schedule, at most ``maxWait``.
  private func pause(after prepared: Prepared) async -> Duration {
    guard prepared.error == nil, let next = try? await lamps.store.schedules.nextDueAt() else {
      return prepared.error == nil ? maxWait : Self.retryInterval
    }
    let progressed = !prepared.executions.isEmpty || prepared.report != Report()
    return Self.pause(untilDue: next, now: clock.epochMilliseconds(), progressed: progressed, maxWait: maxWait)
  }

  /// The sleep before the slot due at `nextDue` (nil: no enabled schedule). A slot already due is looked at again
  /// at once when the tick moved something (a schedule catching up, more due than one tick takes), otherwise after
  /// ``retryInterval``, so a slot that cannot be settled does not spin.
  static func pause(untilDue nextDue: Int64?, now: Int64, progressed: Bool, maxWait: Duration) -> Duration {
    guard let nextDue else { return maxWait }
    guard nextDue > now else { return progressed ? .zero : min(retryInterval, maxWait) }
    return min(.milliseconds(nextDue - now), maxWait)
  }

  /// Right after a (re)start the broker connection is seconds away: a slot claimed before it is up would fail
  /// with "broker unavailable" although the broker is fine (issue #10: SIGKILLed during per-second schedules, every
  /// restart failed its first slots). So the first tick waits for the connection, at most ``brokerWaitAtStart``;
  /// slots that fall due meanwhile run late or are recorded missed, as the misfire policy says. A broker that is
  /// really down still fails slots after that, as before.
  private func waitForBrokerAtStart() async {
    let deadline = ContinuousClock.now + brokerWaitAtStart
    while !lamps.broker.isConnected && ContinuousClock.now < deadline {
      guard (try? await cancelWhenGracefulShutdown({ try await Task.sleep(for: .milliseconds(50)) })) != nil else {
        return
      }
    }
  }

  /// One tick at `now` with every command awaited (tests; the service runs commands as child tasks).
  /// Throws the error that stopped the tick early, after running the slots it had claimed.
  func tick(now: Int64) async throws -> Report {
    let prepared = await prepare(now: now)
    var report = prepared.report
    report.executed = 0
    for execution in prepared.executions {
      if await perform(execution) { report.executed += 1 } else { report.failed += 1 }
    }
    if let error = prepared.error { throw error }
    return report
  }

  /// Finishes stale claims, decides every due slot at `now`, records skips, claims the slots to run and moves the
  /// cursors. Stops at the first error, keeping what it claimed so far.
  func prepare(now: Int64) async -> Prepared {
    var prepared = Prepared()
    do {
      if open.count.load(ordering: .relaxed) > 0 {
        try await lamps.store.schedules.renewLeases(holder: leaseHolder, until: now + leaseMs)
      }
      prepared.report.abandoned = try await lamps.store.schedules.failAbandonedClaims(
        claimedBefore: now - Self.abandonAfterMs, leaseEndedBefore: now)
      if prepared.report.abandoned > 0 {
        logger.warning("marked abandoned schedule runs failed", metadata: ["count": "\(prepared.report.abandoned)"])
      }
      // Each round re-reads the due set: a schedule catching up within its grace gets its next slot in the same
      // tick.
      for _ in 0..<Self.roundsPerTick {
        let due = try await lamps.store.schedules.due(now: now, limit: Self.batchSize)
        guard !due.isEmpty else { break }
        for schedule in due {
          if let execution = try await handle(schedule, now: now, report: &prepared.report) {
            prepared.executions.append(execution)
          }
        }
      }
    } catch {
      prepared.error = error
    }
    return prepared
  }

  private func handle(_ schedule: ScheduleRecord, now: Int64, report: inout Report) async throws -> Execution? {
    let repo = lamps.store.schedules
    let planned = schedule.fields.nextRunAt
    guard let definition = ScheduleDefinition(stored: schedule.fields),
      let action = PowerAction(parsing: schedule.fields.action)
    else {
      // A row the API would refuse (written by another version): stop it rather than fail every tick.
      logger.warning("disabling invalid schedule", metadata: ["scheduleId": "\(schedule.id)"])
      try await repo.disable(schedule.id, now: now)
      report.disabled += 1
      return nil
    }
    let decision = definition.misfire.decide(
      plannedAt: ScheduleDefinition.date(planned), now: ScheduleDefinition.date(now), trigger: definition.trigger,
      in: definition.zone, endAt: schedule.fields.endAt.map(ScheduleDefinition.date))
    let next: Date?
    switch decision {
    case .notDue:
      return nil
    case .expired:
      try await repo.disable(schedule.id, now: now)
      report.disabled += 1
      return nil
    case .missed(let nextCursor):
      try await skip(schedule, planned: planned, reason: ScheduleSkipReason.missed, next: nextCursor, now: now)
      report.skipped += 1
      if nextCursor == nil { report.disabled += 1 }
      return nil
    case .execute(let nextCursor):
      next = nextCursor
    }
    guard let device = try await lamps.knownDevice(internalID: schedule.deviceInternalId) else {
      try await skip(schedule, planned: planned, reason: ScheduleSkipReason.deviceMissing, next: next, now: now)
      report.skipped += 1
      return nil
    }
    if let reason = try await lamps.ownerRefusal(userId: schedule.userId, deviceInternalId: device.id) {
      try await skip(schedule, planned: planned, reason: reason, next: next, now: now)
      report.skipped += 1
      return nil
    }
    // Nothing that can fail comes between a successful claim and the returned execution.
    let claimed = try await repo.claimAndAdvance(
      scheduleId: schedule.id, deviceInternalId: device.id, plannedAt: planned,
      next: next.map(ScheduleDefinition.millis), now: now, lease: ClaimLease(holder: leaseHolder, until: now + leaseMs))
    if next == nil { report.disabled += 1 }
    // Another instance (or an overlapping tick) owns the slot: it runs it.
    guard claimed else { return nil }
    report.executed += 1
    return Execution(
      scheduleId: schedule.id, ownerId: schedule.userId, device: device, action: action, plannedAt: planned)
  }

  private func skip(_ schedule: ScheduleRecord, planned: Int64, reason: String, next: Date?, now: Int64) async throws {
    let repo = lamps.store.schedules
    // One row per streak for lasting refusals (an inactive owner of a per-second schedule would otherwise add a
    // row every second); every missed-slot jump is recorded.
    let latest = try await repo.runs(scheduleId: schedule.id, limit: 1).items.first
    let repeated =
      reason != ScheduleSkipReason.missed && latest?.status == ScheduleRunStatus.skipped.rawValue
      && latest?.reason == reason
    if !repeated {
      _ = try await repo.recordSkipped(
        scheduleId: schedule.id, deviceInternalId: schedule.deviceInternalId, plannedAt: planned, reason: reason,
        now: now)
    }
    try await repo.advance(schedule.id, from: planned, to: next.map(ScheduleDefinition.millis), now: now)
  }

  /// Publishes one claimed slot and records its outcome; true on success. Never leaves the slot claimed unless
  /// the database refuses every attempt to record the outcome.
  func perform(_ execution: Execution) async -> Bool {
    let executedAt = clock.epochMilliseconds()
    let outcome: ScheduleRunOutcome
    do {
      // A slot claimed by a tick that is being cancelled is not started.
      try Task.checkCancellation()
      let result = try await executor.executeScheduled(
        device: execution.device, action: execution.action, requestId: execution.requestId,
        scheduleId: execution.scheduleId, ownerId: execution.ownerId)
      outcome = ScheduleRunOutcome(
        status: .success, requestId: execution.requestId, executedAt: executedAt, ackStatus: result.status,
        ackedAt: result.status == CommandStatus.acked.rawValue ? result.ackLatencyMs.map { executedAt + $0 } : nil,
        ackLatencyMs: result.ackLatencyMs)
    } catch {
      logger.warning(
        "scheduled command failed", metadata: ["scheduleId": "\(execution.scheduleId)", "error": "\(error)"])
      outcome = ScheduleRunOutcome(
        status: .failed, reason: Self.failureReason(error), requestId: execution.requestId, executedAt: executedAt)
    }
    await record(outcome, of: execution)
    return outcome.status == .success
  }

  /// The run's reason for a failed command: the broker's refusal, `CANCELLED`, or `ERROR: ` and the error's text.
  static func failureReason(_ error: any Error) -> String {
    let reason: String
    if let unavailable = error as? BrokerUnavailable {
      reason = "broker unavailable: \(unavailable.reason)"
    } else if error is CancellationError {
      reason = cancelledReason
    } else {
      reason = "ERROR: \(error)"
    }
    return String(reason.prefix(500))
  }

  /// Writes the outcome, in a task of its own so a cancelled tick (shutdown) still records it, with two retries.
  /// If every attempt fails the row stays claimed and a later tick marks it abandoned.
  private func record(_ outcome: ScheduleRunOutcome, of execution: Execution) async {
    let repo = lamps.store.schedules
    var lastError: (any Error)?
    for attempt in 0...Self.recordRetryDelays.count {
      if attempt > 0 { try? await Task.sleep(for: Self.recordRetryDelays[attempt - 1]) }
      do {
        try await Task {
          _ = try await repo.complete(scheduleId: execution.scheduleId, plannedAt: execution.plannedAt, outcome)
        }.value
        return
      } catch {
        lastError = error
      }
    }
    logger.error(
      "could not record a schedule run; a later tick marks it abandoned",
      metadata: ["requestId": "\(execution.requestId)", "error": "\(lastError.map { "\($0)" } ?? "")"])
  }
}

/// The count of a runner's claims in flight, shared by the copies of the runner value.
private final class OpenClaims: Sendable {
  let count = Atomic(0)
}
