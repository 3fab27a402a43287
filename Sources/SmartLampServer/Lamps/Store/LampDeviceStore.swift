import SmartLampCore
import SmartLampStore
import Tasmota

/// A `devices` row as lamp control uses it.
struct LampDevice: Sendable, Hashable {
  var id: Int64
  /// The public id used by the API, SSE and schedules.
  var deviceId: String
  /// The Tasmota topic on the wire (upstream rows with an empty value fall back to the public id).
  var mqttDeviceId: String
  var name: String
  var location: String?
  var channel: TasmotaChannel
  var createdAt: String

  init(row: SQLRow) throws {
    id = try row.int64("id")
    deviceId = try row.string("device_id")
    let mqtt = try row.string("mqtt_device_id")
    mqttDeviceId = mqtt.isEmpty ? deviceId : mqtt
    name = try row.string("name")
    location = try row.optionalString("location")
    channel = TasmotaChannel.normalised(try row.string("command_channel"))
    createdAt = try row.string("created_at")
  }

  /// The key under which live state of this device's MQTT topic is kept (case-insensitive ids).
  var mqttKey: String { TasmotaTopic.deviceKey(mqttDeviceId) }
}

/// What a new device is made of.
struct NewLampDevice: Sendable {
  var deviceId: String
  var mqttDeviceId: String
  var name: String
  var location: String?
  var channel: TasmotaChannel
}

/// SQL for devices and their assignments, written against ``SQLDatabase`` (every dialect).
struct LampDeviceStore: Sendable {
  let database: any SQLDatabase

  static let columns = "id, device_id, mqtt_device_id, name, location, command_channel, created_at"

  func all() async throws -> [LampDevice] {
    try await database.read { db in
      try db.query("SELECT \(Self.columns) FROM devices ORDER BY id").map(LampDevice.init(row:))
    }
  }

  func find(publicID: String) async throws -> LampDevice? {
    try await database.read { db in
      try db.queryOne("SELECT \(Self.columns) FROM devices WHERE device_id = ?", [.text(publicID)])
        .map(LampDevice.init(row:))
    }
  }

  /// The `user_devices` grants of one user, by internal device id.
  func grants(userID: Int64) async throws -> [Int64: DeviceGrant] {
    try await database.read { db in
      var grants: [Int64: DeviceGrant] = [:]
      let rows = try db.query(
        "SELECT device_id, device_permission, schedule_permission FROM user_devices WHERE user_id = ?",
        [.int64(userID)])
      for row in rows {
        grants[try row.int64("device_id")] = DeviceGrant(
          devicePermission: DevicePermission(rawValue: try row.string("device_permission")) ?? .monitoring,
          schedulePermission: SchedulePermission(rawValue: try row.string("schedule_permission")) ?? .none)
      }
      return grants
    }
  }

  /// Inserts the device and, when given, links its creator as owner with full rights, in one transaction.
  /// Throws ``SQLError/uniqueViolation(_:)`` when the public id exists.
  func create(_ device: NewLampDevice, ownerUserID: Int64?) async throws -> LampDevice {
    try await database.write { db in
      let now = Timestamp.iso(Timestamp.nowMillis())
      let result = try db.execute(
        """
        INSERT INTO devices (device_id, mqtt_device_id, name, location, command_channel, hmac_secret, created_at)
        VALUES (?, ?, ?, ?, ?, 'unused-tasmota', ?)
        """,
        [
          .text(device.deviceId), .text(device.mqttDeviceId), .text(device.name), SQLValue(device.location),
          .text(device.channel.name), .text(now),
        ])
      if let ownerUserID {
        try db.execute(
          """
          INSERT INTO user_devices (user_id, device_id, role, device_permission, schedule_permission,
            assigned_by_user_id, created_at, updated_at)
          SELECT ?, ?, 'owner', 'manage', 'manage', ?, ?, ? WHERE EXISTS (SELECT 1 FROM users WHERE id = ?)
          """,
          [
            .int64(ownerUserID), .int64(result.lastInsertID), .int64(ownerUserID), .text(now), .text(now),
            .int64(ownerUserID),
          ])
      }
      guard
        let row = try db.queryOne(
          "SELECT \(Self.columns) FROM devices WHERE id = ?", [.int64(result.lastInsertID)])
      else { throw SQLError.unexpectedNull("devices.id") }
      return try LampDevice(row: row)
    }
  }

  /// Changes name, location and channel; nil leaves a field as it is (`location: .some(nil)` clears it).
  func update(id: Int64, name: String?, location: String??, channel: TasmotaChannel?) async throws -> LampDevice? {
    try await database.write { db in
      if let name { try db.execute("UPDATE devices SET name = ? WHERE id = ?", [.text(name), .int64(id)]) }
      if let location {
        try db.execute("UPDATE devices SET location = ? WHERE id = ?", [SQLValue(location), .int64(id)])
      }
      if let channel {
        try db.execute("UPDATE devices SET command_channel = ? WHERE id = ?", [.text(channel.name), .int64(id)])
      }
      return try db.queryOne("SELECT \(Self.columns) FROM devices WHERE id = ?", [.int64(id)])
        .map(LampDevice.init(row:))
    }
  }

  /// Really deletes the device with its assignments, schedules, runs and state in one transaction
  /// (CONTRACT §5); command logs keep the public id as text.
  func delete(id: Int64) async throws -> Bool {
    try await database.write { db in
      try db.execute("DELETE FROM schedule_runs WHERE device_id = ?", [.int64(id)])
      try db.execute(
        "DELETE FROM schedule_runs WHERE schedule_id IN (SELECT id FROM device_schedules WHERE device_id = ?)",
        [.int64(id)])
      try db.execute("DELETE FROM device_schedules WHERE device_id = ?", [.int64(id)])
      try db.execute("DELETE FROM user_devices WHERE device_id = ?", [.int64(id)])
      try db.execute("DELETE FROM device_state WHERE device_id = ?", [.int64(id)])
      try db.execute("UPDATE command_logs SET device_id = NULL WHERE device_id = ?", [.int64(id)])
      return try db.execute("DELETE FROM devices WHERE id = ?", [.int64(id)]).rowsAffected > 0
    }
  }

  /// A cheap signature of the device set and every assignment: when it changes, open realtime streams recompute
  /// what their caller may see.
  func visibilitySignature() async throws -> String {
    try await database.read { db in
      let devices = try db.queryOne("SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS m FROM devices")
      let grants = try db.queryOne(
        """
        SELECT COUNT(*) AS n, COALESCE(MAX(COALESCE(updated_at, created_at)), '') AS m,
          COALESCE(SUM(LENGTH(device_permission) * device_id + user_id), 0) AS s FROM user_devices
        """)
      let d = "\(try devices?.int64("n") ?? 0)/\(try devices?.int64("m") ?? 0)"
      let g = "\(try grants?.int64("n") ?? 0)/\(try grants?.string("m") ?? "")/\(try grants?.int64("s") ?? 0)"
      return d + "|" + g
    }
  }
}
