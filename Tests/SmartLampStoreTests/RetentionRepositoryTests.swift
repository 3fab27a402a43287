import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

/// Age-based deletion in batches, the indexes it seeks by, and the sweep of abandoned schedule claims.
@Suite struct RetentionRepositoryTests {
  static let day: Int64 = 86_400_000
  static let now: Int64 = 1_767_283_200_000
  static let cutoff = now - 90 * day

  /// `count` audit rows issued at `issuedAt(i)`, in one transaction, acknowledged unless `pending`.
  func insertLogs(
    _ fixture: StoreFixture, count: Int, prefix: String, pending: Bool = false, ackWindow: Int64 = 3_000,
    issuedAt: @escaping @Sendable (Int) -> Int64
  ) async throws {
    try await fixture.database.write { conn in
      for i in 0..<count {
        let issued = issuedAt(i)
        try conn.execute(
          """
          INSERT INTO command_logs (request_id, device_public_id, channel, action, origin, issued_at, expires_at,
            result, ack_status, created_at)
          VALUES (?, 'lamp-1', 'POWER', 'ON', 'schedule', ?, ?, ?, ?, ?)
          """,
          [
            .text("\(prefix)-\(i)"), .int64(issued), .int64(issued + ackWindow),
            .text(pending ? "PUBLISHED" : "ACKED"), .text(pending ? "PENDING" : "ACKED"),
            .text(Timestamp.iso(issued)),
          ])
      }
    }
  }

  @Test(arguments: StoreEngine.all) func commandLogsOlderThanTheCutoffGoInBatchesAndNewerOnesStay(engine: StoreEngine)
    async throws
  {
    let f = try await StoreFixture(engine)
    // Newer rows between old ones by id: deletion goes by age, not by id.
    try await insertLogs(f, count: 6_000, prefix: "old") { Self.cutoff - 3_001 - Int64($0) * 1_000 }
    try await insertLogs(f, count: 50, prefix: "new") { Self.cutoff + Int64($0) }
    try await insertLogs(f, count: 6_000, prefix: "old2") { Self.cutoff - 3_001 - Int64($0) * 7 }
    try await insertLogs(f, count: 10, prefix: "older") { Self.cutoff - 30 * Self.day - Int64($0) }
    let result = try await f.store.commandLogs.deleteIssued(before: Self.cutoff, batchSize: 5_000)
    #expect(result == BatchDeletion(rows: 12_010, batches: 3))
    #expect(try await f.count("command_logs") == 50)
    let oldest = try await f.database.read { conn in
      try conn.queryOne("SELECT MIN(issued_at) AS m FROM command_logs")?.int64("m")
    }
    // A row issued exactly at the cutoff is kept (strictly older rows go).
    #expect(oldest == Self.cutoff)
    // Nothing left to delete: no transaction deletes anything.
    #expect(try await f.store.commandLogs.deleteIssued(before: Self.cutoff) == BatchDeletion())
    let page = try await f.store.commandLogs.page(limit: 200)
    #expect(page.items.count == 50)
    #expect(page.items.allSatisfy { $0.requestId.hasPrefix("new-") })
  }

  @Test(arguments: StoreEngine.all) func aCommandStillInsideItsAckWindowAtTheCutoffIsKept(engine: StoreEngine)
    async throws
  {
    let f = try await StoreFixture(engine)
    let cutoff = Self.now - 1_000
    try await insertLogs(f, count: 1, prefix: "waiting", pending: true) { _ in cutoff - 500 }
    try await insertLogs(f, count: 1, prefix: "expired", pending: true) { _ in cutoff - 5_000 }
    #expect(try await f.store.commandLogs.deleteIssued(before: cutoff).rows == 1)
    #expect(try await f.store.commandLogs.byRequestId("waiting-0") != nil)
    #expect(try await f.store.commandLogs.byRequestId("expired-0") == nil)
  }

  @Test(arguments: StoreEngine.all) func scheduleRunsOlderThanTheCutoffGoInBatches(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    let owner = try await f.user()
    let device = try await f.device()
    let schedule = try await f.store.schedules.create(
      userId: owner.id, createdBy: nil, deviceId: device.deviceId,
      ScheduleFields(action: "ON", cron: "* * * * * *", timezone: "UTC", nextRunAt: Self.now))
    let cutoff = Self.now - 30 * Self.day
    try await f.database.write { conn in
      // One per second before the cutoff, then 20 after it.
      for i in 0..<12_020 {
        let planned = cutoff - 12_000_000 + Int64(i) * 1_000
        try conn.execute(
          """
          INSERT INTO schedule_runs (schedule_id, device_id, planned_at, executed_at, request_id, status, created_at)
          VALUES (?, ?, ?, ?, ?, 'SUCCESS', ?)
          """,
          [
            .int64(schedule.id), .int64(device.id), .int64(planned), .int64(planned), .text("sch-\(i)"),
            .text(Timestamp.iso(planned)),
          ])
      }
    }
    let result = try await f.store.schedules.deleteRuns(plannedBefore: cutoff, batchSize: 5_000)
    #expect(result == BatchDeletion(rows: 12_000, batches: 3))
    let left = try await f.store.schedules.runs(scheduleId: schedule.id, limit: 200).items
    #expect(left.count == 20)
    #expect(left.map(\.plannedAt).min() == cutoff)
  }

  @Test(arguments: StoreEngine.all) func theDeletionsAndTheClaimSweepSeekByAnIndex(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    func plan(_ sql: String, _ binds: [SQLValue]) async throws -> String {
      try await f.database.read { conn in try explain(sql, binds, conn) }
    }
    let commands = try await plan(
      "SELECT id FROM command_logs WHERE issued_at < ? AND expires_at < ? ORDER BY issued_at LIMIT 5000",
      [.int64(1), .int64(1)])
    #expect(commands.contains("idx_command_logs_issued"), "\(commands)")
    let runs = try await plan(
      "SELECT id FROM schedule_runs WHERE planned_at < ? ORDER BY planned_at LIMIT 5000", [.int64(1)])
    #expect(runs.contains("idx_schedule_runs_planned"), "\(runs)")
    let claims = try await plan(
      "SELECT id FROM schedule_runs WHERE reason = 'CLAIMED' AND created_at < ? ORDER BY created_at LIMIT 100",
      [.text("x")])
    #expect(claims.contains("idx_schedule_runs_claimed"), "\(claims)")
  }

  @Test(arguments: StoreEngine.all) func claimsWithoutAnOutcomeAreMarkedAbandonedOnceStale(engine: StoreEngine)
    async throws
  {
    let f = try await StoreFixture(engine)
    let owner = try await f.user()
    let device = try await f.device()
    let schedule = try await f.store.schedules.create(
      userId: owner.id, createdBy: nil, deviceId: device.deviceId,
      ScheduleFields(action: "ON", cron: "* * * * * *", timezone: "UTC", nextRunAt: Self.now))
    let repo = f.store.schedules
    let staleAt = Self.now - 10 * 60_000
    #expect(try await repo.claim(scheduleId: schedule.id, deviceInternalId: device.id, plannedAt: 1, now: staleAt))
    #expect(try await repo.claim(scheduleId: schedule.id, deviceInternalId: device.id, plannedAt: 2, now: staleAt))
    try await repo.complete(scheduleId: schedule.id, plannedAt: 2, ScheduleRunOutcome(status: .success))
    #expect(try await repo.claim(scheduleId: schedule.id, deviceInternalId: device.id, plannedAt: 3, now: Self.now))
    #expect(try await repo.failAbandonedClaims(claimedBefore: Self.now - 5 * 60_000) == 1)
    let abandoned = try #require(try await repo.run(scheduleId: schedule.id, plannedAt: 1))
    #expect(abandoned.status == "FAILED")
    #expect(abandoned.reason == ScheduleRepository.abandonedReason)
    #expect(try await repo.run(scheduleId: schedule.id, plannedAt: 2)?.status == "SUCCESS")
    #expect(try await repo.run(scheduleId: schedule.id, plannedAt: 3)?.reason == ScheduleRepository.claimedReason)
    #expect(try await repo.failAbandonedClaims(claimedBefore: Self.now - 5 * 60_000) == 0)
  }

  /// A claim with a lease is abandoned once its lease ended (seconds, not the 5 minutes of a claim without one);
  /// renewing the holder's open claims keeps them, and only its own.
  @Test(arguments: StoreEngine.all) func claimsWhoseLeaseEndedAreMarkedAbandoned(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    let owner = try await f.user()
    let device = try await f.device()
    let schedule = try await f.store.schedules.create(
      userId: owner.id, createdBy: nil, deviceId: device.deviceId,
      ScheduleFields(action: "ON", cron: "* * * * * *", timezone: "UTC", nextRunAt: Self.now))
    let repo = f.store.schedules
    let alive = ClaimLease(holder: "host/1/a", until: Self.now + 10_000)
    let dead = ClaimLease(holder: "host/2/b", until: Self.now + 10_000)
    #expect(
      try await repo.claim(
        scheduleId: schedule.id, deviceInternalId: device.id, plannedAt: 1, now: Self.now, lease: alive))
    #expect(
      try await repo.claim(
        scheduleId: schedule.id, deviceInternalId: device.id, plannedAt: 2, now: Self.now, lease: dead))
    #expect(try await repo.claim(scheduleId: schedule.id, deviceInternalId: device.id, plannedAt: 3, now: Self.now))
    // Twelve seconds on: the live holder renewed, the dead one did not; the lease-less claim is far from 5 minutes.
    let later = Self.now + 12_000
    #expect(try await repo.renewLeases(holder: alive.holder, until: later + 10_000) == 1)
    #expect(try await repo.failAbandonedClaims(claimedBefore: later - 5 * 60_000, leaseEndedBefore: later) == 1)
    #expect(try await repo.run(scheduleId: schedule.id, plannedAt: 2)?.reason == ScheduleRepository.abandonedReason)
    #expect(try await repo.run(scheduleId: schedule.id, plannedAt: 1)?.reason == ScheduleRepository.claimedReason)
    #expect(try await repo.run(scheduleId: schedule.id, plannedAt: 3)?.reason == ScheduleRepository.claimedReason)
    // A finished claim is not renewed.
    try await repo.complete(scheduleId: schedule.id, plannedAt: 1, ScheduleRunOutcome(status: .success))
    #expect(try await repo.renewLeases(holder: alive.holder, until: later + 20_000) == 0)
  }

  @Test(arguments: StoreEngine.all) func claimAndAdvanceClaimsOnceAndMovesTheCursor(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    let owner = try await f.user()
    let device = try await f.device()
    let schedule = try await f.store.schedules.create(
      userId: owner.id, createdBy: nil, deviceId: device.deviceId,
      ScheduleFields(action: "ON", cron: "* * * * * *", timezone: "UTC", nextRunAt: Self.now))
    let repo = f.store.schedules
    #expect(
      try await repo.claimAndAdvance(
        scheduleId: schedule.id, deviceInternalId: device.id, plannedAt: Self.now, next: Self.now + 1_000,
        now: Self.now))
    var after = try #require(try await repo.byId(schedule.id))
    #expect(after.fields.nextRunAt == Self.now + 1_000)
    #expect(after.lastRunAt == Self.now)
    #expect(try await repo.run(scheduleId: schedule.id, plannedAt: Self.now)?.reason == "CLAIMED")
    // The same slot again (an overlapping tick): not claimed, the cursor stays.
    #expect(
      try await repo.claimAndAdvance(
        scheduleId: schedule.id, deviceInternalId: device.id, plannedAt: Self.now, next: Self.now + 5_000,
        now: Self.now) == false)
    #expect(try await repo.byId(schedule.id)?.fields.nextRunAt == Self.now + 1_000)
    // The last slot (no next one): claimed, and the schedule is disabled.
    #expect(
      try await repo.claimAndAdvance(
        scheduleId: schedule.id, deviceInternalId: device.id, plannedAt: Self.now + 1_000, next: nil, now: Self.now))
    after = try #require(try await repo.byId(schedule.id))
    #expect(after.fields.enabled == false)
  }
}

/// The query plan in words: SQLite's `EXPLAIN QUERY PLAN` details, or MariaDB's usable and chosen keys (on the
/// near-empty test tables its optimiser may still pick a scan, so the usable keys are what a test can rely on).
func explain(_ sql: String, _ binds: [SQLValue] = [], _ conn: any SQLConnection) throws -> String {
  switch conn.dialect {
  case .sqlite:
    return try conn.query("EXPLAIN QUERY PLAN " + sql, binds).map { try $0.string("detail") }.joined(separator: " | ")
  case .mariadb:
    return try conn.query("EXPLAIN " + sql, binds).map {
      "possible_keys=\(try $0.optionalString("possible_keys") ?? "") key=\(try $0.optionalString("key") ?? "")"
    }.joined(separator: " | ")
  }
}
