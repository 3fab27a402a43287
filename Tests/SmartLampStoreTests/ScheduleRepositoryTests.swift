import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

@Suite struct ScheduleRepositoryTests {
  static func fields(next: Int64 = 1_000, cron: String = "* * * * * *") -> ScheduleFields {
    ScheduleFields(action: "ON", cron: cron, timezone: "UTC", nextRunAt: next)
  }

  @Test(arguments: StoreEngine.all) func createReadsBackWithOwnerEmailAndDevice(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    let owner = try await f.user("owner@example.com")
    let admin = try await f.user("admin@example.com", role: .admin)
    _ = try await f.device("lamp-1")
    var fields = Self.fields()
    fields.windowStart = 3600
    fields.windowEnd = 7200
    fields.windowInterval = 60
    fields.windowGroupId = "g-1"
    fields.misfireGraceSec = 5
    let created = try await f.store.schedules.create(
      userId: owner.id, createdBy: admin.id, deviceId: "lamp-1", fields, now: 500)
    #expect(created.userId == owner.id)
    #expect(created.userEmail == "owner@example.com")
    #expect(created.createdByUserId == admin.id)
    #expect(created.deviceId == "lamp-1")
    #expect(created.fields == fields)
    #expect(created.lastRunAt == nil)
    #expect(try await f.store.schedules.byId(created.id) == created)
    #expect(try await f.store.schedules.byId(created.id + 1) == nil)
  }

  @Test(arguments: StoreEngine.all) func createRefusesUnknownDeviceAndUser(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    let owner = try await f.user()
    await #expect(throws: StoreError.deviceNotFound("nope")) {
      _ = try await f.store.schedules.create(userId: owner.id, createdBy: nil, deviceId: "nope", Self.fields())
    }
    _ = try await f.device("lamp-1")
    await #expect(throws: StoreError.userNotFound(999)) {
      _ = try await f.store.schedules.create(userId: 999, createdBy: nil, deviceId: "lamp-1", Self.fields())
    }
  }

  @Test(arguments: StoreEngine.all) func listFiltersByDeviceNewestFirst(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    let owner = try await f.user()
    let d1 = try await f.device("lamp-1")
    let d2 = try await f.device("lamp-2")
    let a = try await f.store.schedules.create(userId: owner.id, createdBy: nil, deviceId: "lamp-1", Self.fields())
    let b = try await f.store.schedules.create(userId: owner.id, createdBy: nil, deviceId: "lamp-2", Self.fields())
    #expect(try await f.store.schedules.list().map(\.id) == [b.id, a.id])
    #expect(try await f.store.schedules.list(deviceInternalIds: [d1.id]).map(\.id) == [a.id])
    #expect(try await f.store.schedules.list(deviceInternalIds: [d1.id, d2.id]).count == 2)
    #expect(try await f.store.schedules.list(deviceInternalIds: []).isEmpty)
  }

  @Test(arguments: StoreEngine.all) func updateOverwritesAndDeleteTakesRuns(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    let owner = try await f.user()
    let device = try await f.device("lamp-1")
    let s = try await f.store.schedules.create(userId: owner.id, createdBy: nil, deviceId: "lamp-1", Self.fields())
    var changed = s.fields
    changed.action = "OFF"
    changed.enabled = false
    changed.endAt = 9_000
    let updated = try await f.store.schedules.update(s.id, changed, now: 700)
    #expect(updated?.fields == changed)
    #expect(try await f.store.schedules.update(s.id + 100, changed) == nil)
    #expect(try await f.store.schedules.claim(scheduleId: s.id, deviceInternalId: device.id, plannedAt: 1_000))
    #expect(try await f.count("schedule_runs") == 1)
    #expect(try await f.store.schedules.delete(s.id))
    #expect(try await f.count("schedule_runs") == 0)
    #expect(try await f.count("device_schedules") == 0)
    #expect(try await f.store.schedules.delete(s.id) == false)
  }

  @Test(arguments: StoreEngine.all) func dueSelectsEnabledAndPastCursorsOldestFirstWithLimit(engine: StoreEngine)
    async throws
  {
    let f = try await StoreFixture(engine)
    let owner = try await f.user()
    _ = try await f.device("lamp-1")
    let repo = f.store.schedules
    let late = try await repo.create(userId: owner.id, createdBy: nil, deviceId: "lamp-1", Self.fields(next: 2_000))
    let early = try await repo.create(userId: owner.id, createdBy: nil, deviceId: "lamp-1", Self.fields(next: 1_000))
    _ = try await repo.create(userId: owner.id, createdBy: nil, deviceId: "lamp-1", Self.fields(next: 5_000))
    var off = Self.fields(next: 500)
    off.enabled = false
    _ = try await repo.create(userId: owner.id, createdBy: nil, deviceId: "lamp-1", off)
    #expect(try await repo.due(now: 2_000).map(\.id) == [early.id, late.id])
    #expect(try await repo.due(now: 2_000, limit: 1).map(\.id) == [early.id])
    #expect(try await repo.due(now: 999).isEmpty)
  }

  @Test(arguments: StoreEngine.all) func claimIsOncePerSlotAndCompleteRecordsOutcome(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    let owner = try await f.user()
    let device = try await f.device("lamp-1")
    let repo = f.store.schedules
    let s = try await repo.create(userId: owner.id, createdBy: nil, deviceId: "lamp-1", Self.fields())
    #expect(try await repo.claim(scheduleId: s.id, deviceInternalId: device.id, plannedAt: 1_000))
    #expect(try await repo.claim(scheduleId: s.id, deviceInternalId: device.id, plannedAt: 1_000) == false)
    let claimed = try #require(try await repo.run(scheduleId: s.id, plannedAt: 1_000))
    #expect(claimed.status == "SKIPPED")
    #expect(claimed.reason == ScheduleRepository.claimedReason)
    let outcome = ScheduleRunOutcome(
      status: .success, requestId: "sch-1-1000", executedAt: 1_010, ackStatus: "ACKED", ackedAt: 1_050,
      ackLatencyMs: 40)
    #expect(try await repo.complete(scheduleId: s.id, plannedAt: 1_000, outcome))
    let run = try #require(try await repo.run(scheduleId: s.id, plannedAt: 1_000))
    #expect(run.status == "SUCCESS")
    #expect(run.reason == nil)
    #expect(run.requestId == "sch-1-1000")
    #expect(run.executedAt == 1_010)
    #expect(run.ackStatus == "ACKED")
    #expect(run.ackLatencyMs == 40)
    #expect(try await repo.complete(scheduleId: s.id, plannedAt: 9_999, outcome) == false)
    #expect(
      try await repo.recordSkipped(scheduleId: s.id, deviceInternalId: device.id, plannedAt: 2_000, reason: "MISSED"))
    let missed = try #require(try await repo.run(scheduleId: s.id, plannedAt: 2_000))
    #expect(missed.status == "SKIPPED")
    #expect(missed.reason == "MISSED")
    try await repo.complete(
      scheduleId: s.id, plannedAt: 2_000, ScheduleRunOutcome(status: .failed, reason: "broker down"))
    #expect(try await repo.run(scheduleId: s.id, plannedAt: 2_000)?.reason == "broker down")
  }

  @Test(arguments: StoreEngine.all) func advanceIsConditionalAndNilDisables(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    let owner = try await f.user()
    _ = try await f.device("lamp-1")
    let repo = f.store.schedules
    let s = try await repo.create(userId: owner.id, createdBy: nil, deviceId: "lamp-1", Self.fields(next: 1_000))
    #expect(try await repo.advance(s.id, from: 1_000, to: 2_000, lastRunAt: 1_005))
    var now = try #require(try await repo.byId(s.id))
    #expect(now.fields.nextRunAt == 2_000)
    #expect(now.lastRunAt == 1_005)
    // A stale runner that handled slot 1000 must not move a cursor someone already moved further.
    #expect(try await repo.advance(s.id, from: 1_000, to: 1_500) == false)
    #expect(try await repo.byId(s.id)?.fields.nextRunAt == 2_000)
    #expect(try await repo.advance(s.id, from: 2_000, to: nil))
    now = try #require(try await repo.byId(s.id))
    #expect(now.fields.enabled == false)
    #expect(now.fields.nextRunAt == 2_000)
    #expect(try await repo.due(now: 10_000).isEmpty)
  }

  @Test(arguments: StoreEngine.all) func disable(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    let owner = try await f.user()
    _ = try await f.device("lamp-1")
    let s = try await f.store.schedules.create(userId: owner.id, createdBy: nil, deviceId: "lamp-1", Self.fields())
    #expect(try await f.store.schedules.disable(s.id))
    #expect(try await f.store.schedules.byId(s.id)?.fields.enabled == false)
    #expect(try await f.store.schedules.disable(s.id + 1) == false)
  }

  @Test(arguments: StoreEngine.all) func runsArePagedNewestPlannedFirst(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    let owner = try await f.user()
    let device = try await f.device("lamp-1")
    let repo = f.store.schedules
    let s = try await repo.create(userId: owner.id, createdBy: nil, deviceId: "lamp-1", Self.fields())
    let other = try await repo.create(userId: owner.id, createdBy: nil, deviceId: "lamp-1", Self.fields())
    for planned in stride(from: Int64(1_000), through: 5_000, by: 1_000) {
      _ = try await repo.claim(scheduleId: s.id, deviceInternalId: device.id, plannedAt: planned)
    }
    _ = try await repo.claim(scheduleId: other.id, deviceInternalId: device.id, plannedAt: 1_000)
    let first = try await repo.runs(scheduleId: s.id, limit: 2)
    #expect(first.items.map(\.plannedAt) == [5_000, 4_000])
    #expect(first.nextCursor == 4_000)
    let second = try await repo.runs(scheduleId: s.id, limit: 2, before: first.nextCursor)
    #expect(second.items.map(\.plannedAt) == [3_000, 2_000])
    let last = try await repo.runs(scheduleId: s.id, limit: 2, before: second.nextCursor)
    #expect(last.items.map(\.plannedAt) == [1_000])
    #expect(last.nextCursor == nil)
    #expect(try await repo.runs(scheduleId: s.id).items.count == 5)
  }

  @Test(arguments: StoreEngine.all) func deletingTheDeviceTakesSchedulesAndRuns(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    let owner = try await f.user()
    let device = try await f.device("lamp-1")
    let s = try await f.store.schedules.create(userId: owner.id, createdBy: nil, deviceId: "lamp-1", Self.fields())
    _ = try await f.store.schedules.claim(scheduleId: s.id, deviceInternalId: device.id, plannedAt: 1_000)
    #expect(try await f.store.devices.delete("lamp-1"))
    #expect(try await f.store.schedules.byId(s.id) == nil)
    #expect(try await f.count("schedule_runs") == 0)
  }
}
