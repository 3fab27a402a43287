import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

@Suite struct DeviceStateRepositoryTests {
  @Test(arguments: StoreEngine.all) func upsertBatchAndLoadAll(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    _ = try await fixture.device("a")
    _ = try await fixture.device("b")
    let states = fixture.store.deviceStates
    let p1 = try CommandChannel(index: 1)
    let p2 = try CommandChannel(index: 2)
    #expect(try await states.upsert([]) == 0)
    let written = try await states.upsert([
      DeviceStateRecord(
        deviceId: "b", channel: p1, power: .on, online: true, lastSeenAt: 10, rssi: -60, uptimeSec: 99, updatedAt: 10),
      DeviceStateRecord(deviceId: "b", channel: p2, power: .off, online: true, lastSeenAt: 10, updatedAt: 10),
      DeviceStateRecord(deviceId: "a", channel: .power, power: .unknown, online: nil, lastSeenAt: nil, updatedAt: 5),
      DeviceStateRecord(deviceId: "ghost", channel: .power, power: .on, online: true, lastSeenAt: 1, updatedAt: 1),
    ])
    #expect(written == 3)
    var all = try await states.loadAll()
    #expect(all.map { "\($0.deviceId)/\($0.channel)" } == ["a/POWER", "b/POWER1", "b/POWER2"])
    #expect(all[0].online == nil && all[0].power == .unknown)
    #expect(all[1].rssi == -60 && all[1].uptimeSec == 99 && all[1].source == "device")

    // A second batch overwrites per (device, channel).
    try await states.upsert([
      DeviceStateRecord(
        deviceId: "b", channel: p1, power: .off, online: false, lastSeenAt: 20, source: "lwt", updatedAt: 20)
    ])
    all = try await states.loadAll()
    #expect(all.count == 3)
    #expect(all[1].power == .off && all[1].online == false && all[1].rssi == nil && all[1].source == "lwt")
    #expect(all[2].power == .off && all[2].updatedAt == 10)
  }
}

@Suite struct CommandLogRepositoryTests {
  func log(
    _ requestId: String, device: DeviceRecord, at: Int64, action: PowerAction = .on, channel: CommandChannel = .power
  )
    -> NewCommandLog
  {
    NewCommandLog(
      requestId: requestId, deviceInternalId: device.id, deviceId: device.deviceId, channel: channel, action: action,
      origin: .user, userId: nil, issuedAt: at, expiresAt: at + 3_000)
  }

  @Test(arguments: StoreEngine.all) func insertAndAcknowledge(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let user = try await fixture.user()
    let device = try await fixture.device("a")
    let logs = fixture.store.commandLogs
    var new = log("req-1", device: device, at: 1_000)
    new.userId = user.id
    let inserted = try await logs.insert(new, now: 1_000)
    #expect(inserted.status == .published)
    #expect(inserted.ackStatus == .pending)
    #expect(inserted.userId == user.id && inserted.origin == .user && inserted.channel == "POWER")
    #expect(inserted.expiresAt == 4_000)
    #expect(try await logs.markAcked(inserted.id, ackedAt: 1_042, latencyMs: 42))
    #expect(!(try await logs.markTimedOut(inserted.id)), "an acknowledged command cannot time out")
    #expect(!(try await logs.markAcked(inserted.id, ackedAt: 2_000, latencyMs: 1_000)))
    let acked = try #require(try await logs.byRequestId("req-1"))
    #expect(acked.status == .acked && acked.ackStatus == .acked && acked.ackedAt == 1_042 && acked.ackLatencyMs == 42)

    let other = try await logs.insert(log("req-2", device: device, at: 2_000))
    #expect(try await logs.markTimedOut(other.id))
    #expect(!(try await logs.markAcked(other.id, ackedAt: 9_000, latencyMs: 7_000)), "too late")
    #expect(try await logs.byId(other.id)?.status == .timeout)

    let failed = try await logs.insert(log("req-3", device: device, at: 3_000))
    #expect(try await logs.markFailed(failed.id, error: "broker unavailable"))
    let f = try #require(try await logs.byId(failed.id))
    #expect(f.status == .failed && f.ackStatus == AckStatus.none && f.error == "broker unavailable")

    var failedAtOnce = log("req-4", device: device, at: 4_000)
    failedAtOnce.status = .failed
    failedAtOnce.error = "no PUBACK"
    #expect(try await logs.insert(failedAtOnce).ackStatus == AckStatus.none)
    #expect(try await logs.byRequestId("missing") == nil)
  }

  @Test(arguments: StoreEngine.all) func originsAndReferencesAreStored(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let owner = try await fixture.user()
    let device = try await fixture.device("a")
    let key = try await fixture.store.apiKeys.create(
      NewApiKey(
        name: "ha", apiKeyHash: "h", keyPrefix: "slk_ab", scopes: .all, ownerUserId: owner.id, createdByUserId: nil))
    var new = log("k", device: device, at: 1)
    new.origin = .apiKey
    new.clientId = key.id
    let inserted = try await fixture.store.commandLogs.insert(new)
    #expect(inserted.origin == .apiKey && inserted.clientId == key.id && inserted.userId == nil)
  }

  @Test(arguments: StoreEngine.all) func cursorPagesNewestFirstWithFilters(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let a = try await fixture.device("a")
    let b = try await fixture.device("b")
    let logs = fixture.store.commandLogs
    var ids: [Int64] = []
    for i in 0..<7 {
      ids.append(try await logs.insert(log("r\(i)", device: i % 2 == 0 ? a : b, at: Int64(i))).id)
    }
    let first = try await logs.page(limit: 3)
    #expect(first.items.map(\.requestId) == ["r6", "r5", "r4"])
    #expect(first.nextCursor == ids[4])
    let second = try await logs.page(limit: 3, before: first.nextCursor)
    #expect(second.items.map(\.requestId) == ["r3", "r2", "r1"])
    let third = try await logs.page(limit: 3, before: second.nextCursor)
    #expect(third.items.map(\.requestId) == ["r0"])
    #expect(third.nextCursor == nil)
    let exact = try await logs.page(limit: 7)
    #expect(exact.items.count == 7 && exact.nextCursor == nil)

    #expect(try await logs.page(limit: 10, deviceId: "b").items.map(\.requestId) == ["r5", "r3", "r1"])
    #expect(try await logs.page(limit: 10, visibleDeviceIds: [a.id]).items.count == 4)
    #expect(try await logs.page(limit: 10, deviceId: "b", visibleDeviceIds: [a.id]).items.isEmpty)
    #expect(try await logs.page(limit: 10, visibleDeviceIds: []).items.isEmpty)
    #expect(try await logs.page(limit: 0).items.count == 1, "limit is clamped to at least 1")
    #expect(try await logs.page(limit: 10_000).items.count == 7)
  }

  @Test(arguments: StoreEngine.all) func latestSentCommandPerExistingDevice(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let a = try await fixture.device("a")
    let b = try await fixture.device("b")
    let c = try await fixture.device("c")
    let gone = try await fixture.device("gone")
    let logs = fixture.store.commandLogs
    _ = try await logs.insert(log("a1", device: a, at: 1, action: .on))
    let a2 = try await logs.insert(log("a2", device: a, at: 2, action: .off))
    _ = try await logs.markAcked(a2.id, ackedAt: 3, latencyMs: 1)
    let a3 = try await logs.insert(log("a3", device: a, at: 4, action: .on))
    _ = try await logs.markFailed(a3.id, error: "x")
    let b1 = try await logs.insert(log("b1", device: b, at: 6))
    _ = try await logs.markTimedOut(b1.id)
    _ = try await logs.insert(log("c1", device: c, at: 7))
    _ = try await logs.insert(log("gone1", device: gone, at: 8))
    try await fixture.store.devices.delete("gone")
    let latest = try await logs.latestPerDevice()
    #expect(latest.map(\.requestId) == ["a2", "c1"], "failed and timed-out rows and deleted devices do not count")
    #expect(latest.first?.action == "OFF" && latest.first?.deviceInternalId == a.id)
  }
}

@Suite struct CommandLogVisibilityTests {
  func log(_ requestId: String, device: DeviceRecord, at: Int64) -> NewCommandLog {
    NewCommandLog(
      requestId: requestId, deviceInternalId: device.id, deviceId: device.deviceId, channel: .power, action: .on,
      origin: .user, issuedAt: at, expiresAt: at + 3_000)
  }

  @Test(arguments: StoreEngine.all) func anOutcomeKnownBeforeTheInsertIsStoredWithTheRow(engine: StoreEngine)
    async throws
  {
    let fixture = try await StoreFixture(engine)
    let device = try await fixture.device("a")
    var early = log("fast", device: device, at: 10)
    early.status = .acked
    early.ackedAt = 12
    early.ackLatencyMs = 2
    let acked = try await fixture.store.commandLogs.insert(early, now: 10)
    #expect(acked.status == .acked && acked.ackStatus == .acked && acked.ackedAt == 12 && acked.ackLatencyMs == 2)
    #expect(acked.createdAt == Timestamp.iso(10))
    var late = log("slow", device: device, at: 20)
    late.status = .timeout
    #expect(try await fixture.store.commandLogs.insert(late).ackStatus == .timeout)
  }

  @Test(arguments: StoreEngine.all) func visibilityIsByInternalDeviceId(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let old = try await fixture.device("lamp")
    let logs = fixture.store.commandLogs
    _ = try await logs.insert(log("r1", device: old, at: 1))
    try await fixture.store.devices.delete("lamp")
    // A new device under the same public id does not reveal the old device's commands to its members.
    let new = try await fixture.device("lamp")
    _ = try await logs.insert(log("r2", device: new, at: 2))
    _ = try await logs.insert(log("r1", device: new, at: 3))
    #expect(try await logs.page(limit: 10, visibleDeviceIds: [new.id]).items.map(\.requestId) == ["r1", "r2"])
    #expect(try await logs.page(limit: 10).items.count == 3, "everything without a filter")
    #expect(try await logs.byRequestId("r1", visibleDeviceIds: [new.id])?.issuedAt == 3)
    #expect(try await logs.byRequestId("r2", visibleDeviceIds: [old.id]) == nil)
    #expect(try await logs.byRequestId("r2", visibleDeviceIds: []) == nil)
    #expect(try await logs.byRequestId("r1")?.issuedAt == 3, "the newest row")
  }
}
