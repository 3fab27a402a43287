import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

@Suite struct DeviceRepositoryTests {
  @Test(arguments: StoreEngine.all) func createKeepsTheSubmittedIdAndDefaultsTheTopic(engine: StoreEngine) async throws
  {
    let fixture = try await StoreFixture(engine)
    let device = try await fixture.store.devices.create(
      NewDevice(
        deviceId: try DeviceID("Lampu-Teras"), name: "Teras 💡", location: "Depan",
        commandChannel: try CommandChannel(index: 2)), now: 3_000)
    #expect(device.deviceId == "Lampu-Teras")
    #expect(device.mqttDeviceId == "Lampu-Teras")
    #expect(device.topic == "Lampu-Teras")
    #expect(device.commandChannel.name == "POWER2")
    #expect(device.location == "Depan")
    #expect(device.name == "Teras 💡")
    #expect(device.createdAt == "1970-01-01T00:00:03.000Z")
    #expect(try await fixture.store.devices.byPublicId("Lampu-Teras") == device)
    #expect(try await fixture.store.devices.byId(device.id) == device)
    #expect(try await fixture.store.devices.byPublicId("lampu-teras") == nil)
    let explicit = try await fixture.store.devices.create(
      NewDevice(deviceId: try DeviceID("b"), mqttDeviceId: try DeviceID("tasmota_ABC"), name: "B"))
    #expect(explicit.topic == "tasmota_ABC")
    await #expect(throws: StoreError.duplicate(field: "deviceId")) {
      try await fixture.store.devices.create(NewDevice(deviceId: try DeviceID("b"), name: "again"))
    }
    #expect(try await fixture.store.devices.list().map(\.deviceId) == ["Lampu-Teras", "b"])
  }

  @Test(arguments: StoreEngine.all) func createWithOwnerLinksInTheSameTransaction(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let admin = try await fixture.user("root@example.com", role: .admin)
    let device = try await fixture.store.devices.create(
      NewDevice(deviceId: try DeviceID("lamp"), name: "L"), ownerUserId: admin.id)
    let links = try await fixture.store.assignments.listForUser(admin.id)
    #expect(links.count == 1)
    #expect(links.first?.role == "owner")
    #expect(links.first?.grant == .full)
    #expect(links.first?.deviceInternalId == device.id)
    await #expect(throws: StoreError.userNotFound(999)) {
      try await fixture.store.devices.create(NewDevice(deviceId: try DeviceID("orphan"), name: "O"), ownerUserId: 999)
    }
    #expect(try await fixture.store.devices.byPublicId("orphan") == nil)
  }

  @Test(arguments: StoreEngine.all) func update(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    _ = try await fixture.device("lamp")
    let devices = fixture.store.devices
    var updated = try await devices.update(
      "lamp",
      DeviceChanges(
        name: "Renamed", location: .some("Dapur"), mqttDeviceId: try DeviceID("t2"),
        commandChannel: try CommandChannel(index: 3)))
    #expect(updated.name == "Renamed")
    #expect(updated.location == "Dapur")
    #expect(updated.topic == "t2")
    #expect(updated.commandChannel.index == 3)
    updated = try await devices.update("lamp", DeviceChanges(location: .some(nil)))
    #expect(updated.location == nil)
    #expect(updated.name == "Renamed")
    #expect(try await devices.update("lamp", DeviceChanges()) == updated)
    await #expect(throws: StoreError.deviceNotFound("ghost")) {
      try await devices.update("ghost", DeviceChanges(name: "x"))
    }
  }

  @Test(arguments: StoreEngine.all) func anInvalidStoredChannelReadsAsPower(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let device = try await fixture.device("lamp")
    try await fixture.database.write { conn in
      try conn.execute(
        "UPDATE devices SET command_channel = 'relay', mqtt_device_id = '' WHERE id = ?", [.int64(device.id)])
    }
    let stored = try #require(try await fixture.store.devices.byId(device.id))
    #expect(stored.commandChannel == .power)
    #expect(stored.commandChannelText == "relay")
    #expect(stored.topic == "lamp")
  }

  /// CONTRACT §5: the device, its assignments, state, schedules and runs go in one transaction; logs keep the id.
  @Test(arguments: StoreEngine.all) func deleteRemovesEverythingButTheAuditTrail(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let member = try await fixture.user()
    let device = try await fixture.device("lamp")
    let keep = try await fixture.device("keep")
    let grant = DeviceGrant(devicePermission: .control, schedulePermission: .manage)
    try await fixture.store.assignments.assign(userId: member.id, deviceId: "lamp", grant: grant, by: nil)
    try await fixture.store.assignments.assign(userId: member.id, deviceId: "keep", grant: grant, by: nil)
    try await fixture.store.deviceStates.upsert([
      DeviceStateRecord(deviceId: "lamp", channel: .power, power: .on, online: true, lastSeenAt: 1, updatedAt: 1)
    ])
    let scheduleId = try await fixture.database.write { conn in
      let s = try conn.execute(
        """
        INSERT INTO device_schedules (user_id, device_id, action, cron_expr, timezone, next_run_at, created_at, updated_at)
        VALUES (?, ?, 'ON', '0 18 * * *', 'Asia/Jakarta', 0, 'x', 'x')
        """, [.int64(member.id), .int64(device.id)]
      ).lastInsertID
      try conn.execute(
        "INSERT INTO schedule_runs (schedule_id, device_id, planned_at, status, created_at) VALUES (?, ?, 1, 'SUCCESS', 'x')",
        [.int64(s), .int64(device.id)])
      return s
    }
    let log = try await fixture.store.commandLogs.insert(
      NewCommandLog(
        requestId: "r1", deviceInternalId: device.id, deviceId: "lamp", channel: .power, action: .on, origin: .schedule,
        userId: member.id, scheduleId: scheduleId, issuedAt: 1, expiresAt: 3001))

    #expect(try await fixture.store.devices.delete("lamp"))
    #expect(!(try await fixture.store.devices.delete("lamp")))
    #expect(try await fixture.store.devices.byPublicId("lamp") == nil)
    #expect(try await fixture.store.assignments.listForUser(member.id).map(\.deviceId) == ["keep"])
    #expect(try await fixture.count("device_schedules") == 0)
    #expect(try await fixture.count("schedule_runs") == 0)
    #expect(try await fixture.count("device_state") == 0)
    let kept = try #require(try await fixture.store.commandLogs.byId(log.id))
    #expect(kept.deviceId == "lamp")
    #expect(kept.deviceInternalId == nil)
    #expect(kept.scheduleId == nil)
    #expect(try await fixture.store.devices.byPublicId("keep") == keep)
  }
}

@Suite struct AssignmentRepositoryTests {
  @Test(arguments: StoreEngine.all) func replaceAllIsOneTransaction(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let admin = try await fixture.user("root@example.com", role: .admin)
    let member = try await fixture.user()
    for id in ["a", "b", "c"] { _ = try await fixture.device(id) }
    let assignments = fixture.store.assignments
    let control = DeviceGrant(devicePermission: .control, schedulePermission: .manage)
    let watch = DeviceGrant(devicePermission: .monitoring, schedulePermission: .none)

    let result = try await assignments.replaceAll(
      userId: member.id,
      with: [AssignmentInput(deviceId: "b", grant: control), AssignmentInput(deviceId: "a", grant: watch)],
      by: admin.id, now: 7_000)
    #expect(result.map(\.deviceId) == ["a", "b"])
    #expect(result.map(\.grant) == [watch, control])
    #expect(result.allSatisfy { $0.role == "member" && $0.assignedByUserId == admin.id })
    #expect(try await assignments.grantsForUser(member.id) == ["a": watch, "b": control])

    // An unknown device refuses the whole request: the previous assignments stay.
    await #expect(throws: StoreError.deviceNotFound("ghost")) {
      try await assignments.replaceAll(
        userId: member.id,
        with: [AssignmentInput(deviceId: "c", grant: watch), AssignmentInput(deviceId: "ghost", grant: watch)],
        by: admin.id)
    }
    #expect(try await assignments.listForUser(member.id).map(\.deviceId) == ["a", "b"])

    await #expect(throws: StoreError.duplicateAssignment(deviceId: "a")) {
      try await assignments.replaceAll(
        userId: member.id,
        with: [AssignmentInput(deviceId: "a", grant: watch), AssignmentInput(deviceId: "a", grant: control)], by: nil)
    }
    await #expect(throws: StoreError.invalidGrant(deviceId: "c")) {
      try await assignments.replaceAll(
        userId: member.id,
        with: [
          AssignmentInput(deviceId: "c", grant: DeviceGrant(devicePermission: .monitoring, schedulePermission: .manage))
        ],
        by: nil)
    }
    await #expect(throws: StoreError.userNotFound(999)) {
      try await assignments.replaceAll(userId: 999, with: [], by: nil)
    }
    #expect(try await assignments.replaceAll(userId: member.id, with: [], by: nil).isEmpty)
    #expect(try await assignments.listForUser(member.id).isEmpty)
  }

  @Test(arguments: StoreEngine.all) func replaceAllChecksInRequestOrderAndOnlyForActiveMembers(engine: StoreEngine)
    async throws
  {
    let fixture = try await StoreFixture(engine)
    let admin = try await fixture.user("root@example.com", role: .admin)
    let member = try await fixture.user()
    _ = try await fixture.device("a")
    let assignments = fixture.store.assignments
    let watch = DeviceGrant(devicePermission: .monitoring, schedulePermission: .none)
    let invalid = DeviceGrant(devicePermission: .monitoring, schedulePermission: .manage)
    await #expect(throws: StoreError.notAMember(admin.id)) {
      try await assignments.replaceAll(userId: admin.id, with: [], by: nil)
    }
    // The first failing entry decides: an unknown device before an invalid grant, and the other way round.
    await #expect(throws: StoreError.deviceNotFound("ghost")) {
      try await assignments.replaceAll(
        userId: member.id,
        with: [AssignmentInput(deviceId: "ghost", grant: watch), AssignmentInput(deviceId: "a", grant: invalid)],
        by: nil)
    }
    await #expect(throws: StoreError.invalidGrant(deviceId: "a")) {
      try await assignments.replaceAll(
        userId: member.id,
        with: [AssignmentInput(deviceId: "a", grant: invalid), AssignmentInput(deviceId: "ghost", grant: watch)],
        by: nil)
    }
    _ = try await fixture.store.users.archive(member.id, by: admin.id)
    await #expect(throws: StoreError.userArchived(member.id)) {
      try await assignments.replaceAll(userId: member.id, with: [], by: nil)
    }
  }

  @Test(arguments: StoreEngine.all) func devicesWithGrantsAndVisibilitySignature(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let member = try await fixture.user()
    _ = try await fixture.device("a")
    let b = try await fixture.device("b")
    let devices = fixture.store.devices
    let assignments = fixture.store.assignments
    let before = try await devices.visibilitySignature()
    #expect(try await devices.visibilitySignature() == before, "stable while nothing changes")
    let control = DeviceGrant(devicePermission: .control, schedulePermission: .none)
    _ = try await assignments.replaceAll(
      userId: member.id, with: [AssignmentInput(deviceId: "b", grant: control)], by: nil)
    let afterAssign = try await devices.visibilitySignature()
    #expect(afterAssign != before)

    let listed = try await assignments.devices(withGrantOf: member.id)
    #expect(listed.map(\.device.deviceId) == ["a", "b"])
    #expect(listed.map(\.grant) == [nil, control])
    #expect(try await assignments.devices(withGrantOf: nil).allSatisfy { $0.grant == nil })
    #expect(try await assignments.grantsByDeviceInternalId(member.id) == [b.id: control])
    // A stored combination that is not valid reads as its valid part.
    try await fixture.database.write { conn in
      try conn.execute(
        "UPDATE user_devices SET device_permission = 'monitoring', schedule_permission = 'manage' WHERE device_id = ?",
        [.int64(b.id)])
    }
    #expect(
      try await assignments.grantsByDeviceInternalId(member.id)
        == [b.id: DeviceGrant(devicePermission: .monitoring, schedulePermission: .monitoring)])

    let afterChange = try await devices.visibilitySignature()
    #expect(afterChange != afterAssign, "a changed permission counts")
    _ = try await devices.update("a", DeviceChanges(name: "renamed"))
    #expect(try await devices.visibilitySignature() == afterChange, "a rename needs no recompute")
    try await devices.delete("a")
    #expect(try await devices.visibilitySignature() != afterChange)
  }

  @Test(arguments: StoreEngine.all) func replacingPausesSchedulesTheUserCanNoLongerManage(engine: StoreEngine)
    async throws
  {
    let fixture = try await StoreFixture(engine)
    let member = try await fixture.user()
    let a = try await fixture.device("a")
    let b = try await fixture.device("b")
    let manage = DeviceGrant(devicePermission: .control, schedulePermission: .manage)
    _ = try await fixture.store.assignments.replaceAll(
      userId: member.id,
      with: [AssignmentInput(deviceId: "a", grant: manage), AssignmentInput(deviceId: "b", grant: manage)],
      by: nil)
    try await fixture.database.write { conn in
      for device in [a.id, b.id] {
        try conn.execute(
          """
          INSERT INTO device_schedules (user_id, device_id, action, cron_expr, timezone, next_run_at, created_at, updated_at)
          VALUES (?, ?, 'ON', '* * * * *', 'UTC', 0, 'x', 'x')
          """, [.int64(member.id), .int64(device)])
      }
    }
    _ = try await fixture.store.assignments.replaceAll(
      userId: member.id,
      with: [
        AssignmentInput(deviceId: "a", grant: manage),
        AssignmentInput(deviceId: "b", grant: DeviceGrant(devicePermission: .control, schedulePermission: .monitoring)),
      ], by: nil)
    let enabled = try await fixture.database.read { conn in
      try conn.query("SELECT device_id, enabled FROM device_schedules ORDER BY device_id").map {
        try $0.bool("enabled")
      }
    }
    #expect(enabled == [true, false])
  }

  @Test(arguments: StoreEngine.all) func singleAssignAndLookups(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let member = try await fixture.user()
    let device = try await fixture.device("a")
    let assignments = fixture.store.assignments
    #expect(try await assignments.grant(userId: member.id, deviceId: "a") == nil)
    let grant = DeviceGrant(devicePermission: .manage, schedulePermission: .monitoring)
    try await assignments.assign(userId: member.id, deviceId: "a", grant: grant, by: nil)
    #expect(try await assignments.grant(userId: member.id, deviceId: "a") == grant)
    #expect(try await assignments.grant(userId: member.id, deviceInternalId: device.id) == grant)
    let changed = DeviceGrant(devicePermission: .monitoring, schedulePermission: .none)
    try await assignments.assign(userId: member.id, deviceId: "a", grant: changed, by: nil)
    #expect(try await assignments.grant(userId: member.id, deviceId: "a") == changed)
    #expect(try await assignments.listForUser(member.id).count == 1)
    await #expect(throws: StoreError.deviceNotFound("zz")) {
      try await assignments.assign(userId: member.id, deviceId: "zz", grant: changed, by: nil)
    }
    await #expect(throws: StoreError.userNotFound(999)) {
      try await assignments.assign(userId: 999, deviceId: "a", grant: changed, by: nil)
    }
    await #expect(throws: StoreError.invalidGrant(deviceId: "a")) {
      try await assignments.assign(
        userId: member.id, deviceId: "a",
        grant: DeviceGrant(devicePermission: .monitoring, schedulePermission: .manage),
        by: nil)
    }
  }

  /// Stored text is read the way upstream heals it.
  @Test(arguments: StoreEngine.all) func storedPermissionTextIsReadLeniently(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let member = try await fixture.user()
    let device = try await fixture.device("a")
    try await fixture.database.write { conn in
      try conn.execute(
        "INSERT INTO user_devices (user_id, device_id, role, device_permission, schedule_permission, created_at) VALUES (?, ?, 'member', 'root', 'manage', 'x')",
        [.int64(member.id), .int64(device.id)])
    }
    #expect(
      try await fixture.store.assignments.grant(userId: member.id, deviceId: "a")
        == DeviceGrant(devicePermission: .monitoring, schedulePermission: .monitoring))
  }
}
