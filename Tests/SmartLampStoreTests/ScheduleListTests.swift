import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

/// `ScheduleRepository.listWithLastRun`: the schedules list with each device's name and its newest finished run.
@Suite struct ScheduleListTests {
  static func fields() -> ScheduleFields {
    ScheduleFields(action: "ON", cron: "* * * * * *", timezone: "UTC", nextRunAt: 1_000)
  }

  @Test(arguments: StoreEngine.all) func eachScheduleCarriesItsDeviceNameAndNewestFinishedRun(engine: StoreEngine)
    async throws
  {
    let f = try await StoreFixture(engine)
    let owner = try await f.user()
    let d1 = try await f.device("lamp-1")
    _ = try await f.device("lamp-2")
    let repo = f.store.schedules
    let quiet = try await repo.create(userId: owner.id, createdBy: nil, deviceId: "lamp-2", Self.fields())
    let busy = try await repo.create(userId: owner.id, createdBy: nil, deviceId: "lamp-1", Self.fields())

    // Older runs first, out of order; the newest planned one decides.
    #expect(try await repo.claim(scheduleId: busy.id, deviceInternalId: d1.id, plannedAt: 3_000))
    try await repo.complete(
      scheduleId: busy.id, plannedAt: 3_000, ScheduleRunOutcome(status: .failed, reason: "BROKER_UNAVAILABLE"))
    #expect(
      try await repo.recordSkipped(scheduleId: busy.id, deviceInternalId: d1.id, plannedAt: 1_000, reason: "MISSED"))
    #expect(try await repo.claim(scheduleId: busy.id, deviceInternalId: d1.id, plannedAt: 2_000))
    try await repo.complete(scheduleId: busy.id, plannedAt: 2_000, ScheduleRunOutcome(status: .success))

    var entries = try await repo.listWithLastRun()
    #expect(entries.map(\.record.id) == [busy.id, quiet.id])
    #expect(entries.map(\.deviceName) == ["Lamp lamp-1", "Lamp lamp-2"])
    #expect(entries[0].lastRunStatus == .failed && entries[0].lastRunReason == "BROKER_UNAVAILABLE")
    #expect(entries[1].lastRunStatus == nil && entries[1].lastRunReason == nil)
    #expect(entries[0].record == (try await repo.byId(busy.id)))

    // A slot claimed and still running is not a finished run: the one before it still counts.
    #expect(try await repo.claim(scheduleId: busy.id, deviceInternalId: d1.id, plannedAt: 4_000))
    entries = try await repo.listWithLastRun()
    #expect(entries[0].lastRunStatus == .failed && entries[0].lastRunReason == "BROKER_UNAVAILABLE")
    try await repo.complete(scheduleId: busy.id, plannedAt: 4_000, ScheduleRunOutcome(status: .success))
    entries = try await repo.listWithLastRun()
    #expect(entries[0].lastRunStatus == .success && entries[0].lastRunReason == nil)
  }

  @Test(arguments: StoreEngine.all) func filtersByDeviceLikeTheList(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    let owner = try await f.user()
    let d1 = try await f.device("lamp-1")
    let d2 = try await f.device("lamp-2")
    let repo = f.store.schedules
    let a = try await repo.create(userId: owner.id, createdBy: nil, deviceId: "lamp-1", Self.fields())
    let b = try await repo.create(userId: owner.id, createdBy: nil, deviceId: "lamp-2", Self.fields())
    #expect(try await repo.listWithLastRun(deviceInternalIds: [d1.id]).map(\.record.id) == [a.id])
    #expect(try await repo.listWithLastRun(deviceInternalIds: [d1.id, d2.id]).map(\.record.id) == [b.id, a.id])
    #expect(try await repo.listWithLastRun(deviceInternalIds: []).isEmpty)
    #expect(
      try await repo.listWithLastRun().map(\.record) == (try await repo.list()))
  }
}
