import Foundation
import Logging
import ServiceLifecycle
import SmartLampCore
import SmartLampStore

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

/// The scheduler of CONTRACT §9 (upstream-spec §11, corrected): every `interval` it takes the due schedules and,
/// per schedule, decides the slot at its cursor with the misfire policy. A slot older than the grace is recorded
/// `SKIPPED`/`MISSED` and the cursor jumps past now; a slot whose owner may no longer run it is `SKIPPED` with the
/// reason; a slot past `endAt` disables the schedule. Otherwise the slot is claimed (unique per schedule and
/// planned time, so any number of instances run it once), the cursor moves to the next slot strictly after it,
/// and the command goes through ``CommandService`` with request id `sch-<id>-<plannedAt>`; the run row then gets
/// `SUCCESS` (with the acknowledgement) or `FAILED`. Commands run as child tasks so a slow broker or device never
/// delays the next tick.
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
  }

  static let batchSize = 50
  /// A schedule whose next slot is due again at once (catching up within the grace) gets this many per tick.
  static let roundsPerTick = 5

  let lamps: LampServices
  let executor: any ScheduleCommandExecutor
  let interval: Duration
  /// Epoch milliseconds; injected so tests drive ticks without waiting.
  let clock: @Sendable () -> Int64
  let logger: Logger

  init(
    lamps: LampServices, executor: any ScheduleCommandExecutor, interval: Duration = .seconds(1),
    clock: @escaping @Sendable () -> Int64 = { APITime.epochMilliseconds() }, logger: Logger
  ) {
    self.lamps = lamps
    self.executor = executor
    self.interval = interval
    self.clock = clock
    var logger = logger
    logger[metadataKey: "component"] = "scheduler"
    self.logger = logger
  }

  func run() async throws {
    await withDiscardingTaskGroup { group in
      while !Task.isShuttingDownGracefully && !Task.isCancelled {
        do {
          var report = Report()
          for execution in try await prepare(now: clock(), report: &report) {
            group.addTask { _ = await perform(execution) }
          }
          if report != Report() {
            logger.debug(
              "tick",
              metadata: [
                "claimed": "\(report.executed)", "skipped": "\(report.skipped)", "disabled": "\(report.disabled)",
              ])
          }
        } catch {
          logger.warning("scheduler tick failed", metadata: ["error": "\(error)"])
        }
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
      }
    }
  }

  /// One tick at `now` with every command awaited (tests; the service runs commands as child tasks).
  func tick(now: Int64) async throws -> Report {
    var report = Report()
    let executions = try await prepare(now: now, report: &report)
    report.executed = 0
    for execution in executions {
      if await perform(execution) { report.executed += 1 } else { report.failed += 1 }
    }
    return report
  }

  /// Decides every due slot at `now`, records skips, claims the slots to run and moves the cursors.
  func prepare(now: Int64, report: inout Report) async throws -> [Execution] {
    var executions: [Execution] = []
    // Each round re-reads the due set: a schedule catching up within its grace gets its next slot in the same tick.
    for _ in 0..<Self.roundsPerTick {
      let due = try await lamps.store.schedules.due(now: now, limit: Self.batchSize)
      guard !due.isEmpty else { break }
      for schedule in due {
        if let execution = try await handle(schedule, now: now, report: &report) { executions.append(execution) }
      }
    }
    return executions
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
    guard let device = lamps.state.device(internalID: schedule.deviceInternalId) else {
      try await skip(schedule, planned: planned, reason: ScheduleSkipReason.deviceMissing, next: next, now: now)
      report.skipped += 1
      return nil
    }
    if let reason = try await lamps.ownerRefusal(userId: schedule.userId, deviceInternalId: device.id) {
      try await skip(schedule, planned: planned, reason: reason, next: next, now: now)
      report.skipped += 1
      return nil
    }
    let claimed = try await repo.claim(
      scheduleId: schedule.id, deviceInternalId: device.id, plannedAt: planned, now: now)
    try await repo.advance(
      schedule.id, from: planned, to: next.map(ScheduleDefinition.millis), lastRunAt: claimed ? now : nil, now: now)
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

  /// Publishes one claimed slot and records its outcome; true on success.
  func perform(_ execution: Execution) async -> Bool {
    let executedAt = clock()
    let outcome: ScheduleRunOutcome
    do {
      let result = try await executor.executeScheduled(
        device: execution.device, action: execution.action, requestId: execution.requestId,
        scheduleId: execution.scheduleId, ownerId: execution.ownerId)
      outcome = ScheduleRunOutcome(
        status: .success, requestId: execution.requestId, executedAt: executedAt, ackStatus: result.status,
        ackedAt: result.status == CommandStatus.acked.rawValue ? result.ackLatencyMs.map { executedAt + $0 } : nil,
        ackLatencyMs: result.ackLatencyMs)
    } catch {
      let reason = (error as? BrokerUnavailable).map { "broker unavailable: \($0.reason)" } ?? "command failed"
      logger.warning(
        "scheduled command failed", metadata: ["scheduleId": "\(execution.scheduleId)", "error": "\(error)"])
      outcome = ScheduleRunOutcome(
        status: .failed, reason: String(reason.prefix(500)), requestId: execution.requestId, executedAt: executedAt)
    }
    do {
      try await lamps.store.schedules.complete(
        scheduleId: execution.scheduleId, plannedAt: execution.plannedAt, outcome)
    } catch {
      logger.error("could not record a schedule run", metadata: ["requestId": "\(execution.requestId)"])
    }
    return outcome.status == .success
  }
}
