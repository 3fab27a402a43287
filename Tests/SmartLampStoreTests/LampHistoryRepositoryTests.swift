import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

/// Device-side history rows and a lamp's merged history: order over both tables, cursor pages that neither repeat
/// nor skip, actor names, `since`, pruning, and rows going with their device.
@Suite struct LampHistoryRepositoryTests {
  func command(
    _ f: StoreFixture, device: DeviceRecord, _ requestId: String, at: Int64, action: PowerAction = .on,
    origin: CommandOrigin = .user, userId: Int64? = nil, clientId: Int64? = nil, scheduleId: Int64? = nil,
    status: CommandStatus = .acked
  ) async throws -> Int64 {
    try await f.store.commandLogs.insert(
      NewCommandLog(
        requestId: requestId, deviceInternalId: device.id, deviceId: device.deviceId, channel: .power,
        action: action, origin: origin, userId: userId, clientId: clientId, scheduleId: scheduleId, issuedAt: at,
        expiresAt: at + 3_000, status: status, ackLatencyMs: status == .acked ? 12 : nil),
      now: at
    ).id
  }

  func change(_ device: DeviceRecord, at: Int64, _ power: PowerAction = .off) -> NewDeviceHistory {
    NewDeviceHistory(
      deviceInternalId: device.id, channel: .power, power: power, source: "tasmota_stat_power", occurredAt: at)
  }

  @Test(arguments: StoreEngine.all) func entriesOfBothSourcesComeNewestFirstWithTheirActors(engine: StoreEngine)
    async throws
  {
    let f = try await StoreFixture(engine)
    let person = try await f.user("siti@example.com", name: "Siti")
    let lamp = try await f.device("teras")
    let other = try await f.device("dapur")
    let key = try await f.store.apiKeys.create(
      NewApiKey(
        name: "Home Assistant", apiKeyHash: "hash-ha", keyPrefix: "slk_x", scopes: APIScopes([.command]),
        ownerUserId: person.id, createdByUserId: person.id))
    let schedule = try await f.store.schedules.create(
      userId: person.id, createdBy: person.id, deviceId: "teras",
      ScheduleFields(action: "ON", cron: "0 18 * * *", timezone: "Asia/Jakarta", nextRunAt: 0))
    _ = try await command(f, device: lamp, "by-person", at: 1_000, userId: person.id)
    _ = try await command(f, device: lamp, "by-key", at: 3_000, action: .off, origin: .apiKey, clientId: key.id)
    _ = try await command(
      f, device: lamp, "by-schedule", at: 5_000, origin: .schedule, userId: person.id, scheduleId: schedule.id,
      status: .timeout)
    _ = try await command(f, device: other, "elsewhere", at: 4_000)
    #expect(try await f.store.deviceHistory.record([change(lamp, at: 2_000), change(lamp, at: 4_000, .on)]) == 2)

    let page = try await f.store.lampHistory.page(deviceInternalId: lamp.id, limit: 50)
    #expect(page.next == nil)
    #expect(page.items.map(\.position.at) == [5_000, 4_000, 3_000, 2_000, 1_000])
    #expect(page.items.map(\.position.kind) == [.command, .device, .command, .device, .command])
    #expect(page.items.map(\.power) == [.on, .on, .off, .off, .on])
    #expect(page.items[0].actor == LampHistoryActor(type: "schedule", id: schedule.id, name: nil))
    #expect(page.items[0].status == .timeout && page.items[0].ackLatencyMs == nil)
    #expect(page.items[1].actor == .device && page.items[1].status == nil && page.items[1].requestId == nil)
    #expect(page.items[2].actor == LampHistoryActor(type: "api_key", id: key.id, name: "Home Assistant"))
    #expect(page.items[4].actor == LampHistoryActor(type: "user", id: person.id, name: "Siti"))
    #expect(
      page.items[4].status == .acked && page.items[4].ackLatencyMs == 12 && page.items[4].requestId == "by-person")

    let recent = try await f.store.lampHistory.page(deviceInternalId: lamp.id, limit: 50, since: 3_000)
    #expect(recent.items.map(\.position.at) == [5_000, 4_000, 3_000])
  }

  /// Pages of one entry walk the whole history exactly once, also where both sources share an instant.
  @Test(arguments: StoreEngine.all) func cursorPagesNeitherRepeatNorSkipAcrossTheTwoSources(engine: StoreEngine)
    async throws
  {
    let f = try await StoreFixture(engine)
    let lamp = try await f.device("teras")
    var expected: [LampHistoryPosition] = []
    for (index, at) in [1_000, 2_000, 2_000, 3_000, 3_000, 3_000].enumerated() {
      let id = try await command(f, device: lamp, "c\(index)", at: Int64(at))
      expected.append(LampHistoryPosition(at: Int64(at), kind: .command, id: id))
    }
    try await f.store.deviceHistory.record(
      [change(lamp, at: 2_000), change(lamp, at: 3_000), change(lamp, at: 3_000), change(lamp, at: 500)])
    let rows = try await f.database.read { conn in
      try conn.query("SELECT id, occurred_at FROM device_history ORDER BY id").map {
        LampHistoryPosition(at: try $0.int64("occurred_at"), kind: .device, id: try $0.int64("id"))
      }
    }
    expected += rows
    expected.sort()
    for size in [1, 2, 3, 7] {
      var seen: [LampHistoryPosition] = []
      var cursor: LampHistoryPosition?
      var pages = 0
      repeat {
        let page = try await f.store.lampHistory.page(deviceInternalId: lamp.id, limit: size, after: cursor)
        seen += page.items.map(\.position)
        cursor = page.next
        pages += 1
        // The cursor survives its text form.
        if let next = cursor { #expect(LampHistoryPosition(text: next.text) == next) }
      } while cursor != nil && pages < 50
      #expect(seen == expected, "page size \(size)")
    }
    #expect(LampHistoryPosition(text: "12.x.3") == nil)
    #expect(LampHistoryPosition(text: "12.c.0") == nil)
    #expect(LampHistoryPosition(text: "-1.d.3") == nil)
    #expect(LampHistoryPosition(text: "12.d.3.4") == nil)
  }

  @Test(arguments: StoreEngine.all) func rowsOfDeletedDevicesAreSkippedAndGoWithTheirDevice(engine: StoreEngine)
    async throws
  {
    let f = try await StoreFixture(engine)
    let lamp = try await f.device("teras")
    let gone = try await f.device("gudang")
    #expect(try await f.store.devices.delete("gudang"))
    #expect(try await f.store.deviceHistory.record([change(lamp, at: 1), change(gone, at: 2)]) == 1)
    #expect(try await f.count("device_history") == 1)
    #expect(try await f.store.devices.delete("teras"))
    #expect(try await f.count("device_history") == 0)
  }

  @Test(arguments: StoreEngine.all) func pruningDeletesOnlyOlderRowsInBatches(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    let lamp = try await f.device("teras")
    try await f.store.deviceHistory.record((0..<25).map { change(lamp, at: Int64($0) * 10) })
    let deleted = try await f.store.deviceHistory.deleteOccurred(before: 100, batchSize: 4)
    #expect(deleted == BatchDeletion(rows: 10, batches: 3))
    #expect(try await f.count("device_history") == 15)
    let oldest = try await f.database.read { conn in
      try conn.queryOne("SELECT MIN(occurred_at) AS m FROM device_history")?.int64("m")
    }
    #expect(oldest == 100)
  }

  /// The history reads both tables through their (device, time) indexes rather than sorting every row.
  @Test(arguments: StoreEngine.all) func historyQueriesUseTheDeviceTimeIndexes(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    let plans = try await f.database.read { conn in
      try [
        explain(
          """
          SELECT id FROM command_logs c WHERE c.device_id = 1 AND c.issued_at < 5
          ORDER BY c.issued_at DESC, c.id DESC LIMIT 3
          """, [], conn),
        explain(
          """
          SELECT id FROM device_history WHERE device_id = 1 AND occurred_at < 5
          ORDER BY occurred_at DESC, id DESC LIMIT 3
          """, [], conn),
      ]
    }
    #expect(plans[0].contains("idx_command_logs_device_issued"), "\(plans[0])")
    #expect(plans[1].contains("idx_device_history_device"), "\(plans[1])")
    #expect(!plans.joined().contains("TEMP B-TREE"), "\(plans)")
  }
}
