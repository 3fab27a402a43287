import SmartLampCore

/// A `devices` row. `deviceId` is the public id; `id` the internal key other tables reference.
public struct DeviceRecord: Sendable, Hashable {
  public var id: Int64
  public var deviceId: String
  public var mqttDeviceId: String
  public var name: String
  public var location: String?
  /// As stored; upstream databases may hold values other than POWER/POWERn.
  public var commandChannelText: String
  public var createdAt: String
  /// `hmac_secret`: nil when NULL, empty or upstream's `unused-tasmota`.
  public var hmacSecret: DeviceSecret?

  /// The stored channel, or `POWER` when the stored text is not a valid channel (upstream's fallback).
  public var commandChannel: CommandChannel {
    (try? CommandChannel(parsing: commandChannelText)) ?? .power
  }

  /// The MQTT topic id: `mqtt_device_id`, or the public id when blank (upstream self-healing rule).
  public var topic: String { mqttDeviceId.isEmpty ? deviceId : mqttDeviceId }

  init(row: SQLRow) throws {
    id = try row.int64("id")
    deviceId = try row.string("device_id")
    mqttDeviceId = try row.string("mqtt_device_id")
    name = try row.string("name")
    location = try row.optionalString("location")
    commandChannelText = try row.string("command_channel")
    createdAt = try row.string("created_at")
    hmacSecret = DeviceSecret(stored: try row.optionalString("hmac_secret"))
  }
}

public struct NewDevice: Sendable, Hashable {
  public var deviceId: DeviceID
  /// Defaults to the public id.
  public var mqttDeviceId: DeviceID?
  public var name: String
  public var location: String?
  public var commandChannel: CommandChannel
  /// Stored in `hmac_secret`; without one the row gets upstream's `unused-tasmota`.
  public var hmacSecret: DeviceSecret?

  public init(
    deviceId: DeviceID, mqttDeviceId: DeviceID? = nil, name: String, location: String? = nil,
    commandChannel: CommandChannel = .power, hmacSecret: DeviceSecret? = nil
  ) {
    self.deviceId = deviceId
    self.mqttDeviceId = mqttDeviceId
    self.name = name
    self.location = location
    self.commandChannel = commandChannel
    self.hmacSecret = hmacSecret
  }
}

/// A partial update: nil fields stay; `location: .some(nil)` clears the location.
public struct DeviceChanges: Sendable, Hashable {
  public var name: String?
  public var location: String??
  public var mqttDeviceId: DeviceID?
  public var commandChannel: CommandChannel?
  /// `.some(nil)` clears the secret (the column goes back to `unused-tasmota`).
  public var hmacSecret: DeviceSecret??

  public init(
    name: String? = nil, location: String?? = nil, mqttDeviceId: DeviceID? = nil, commandChannel: CommandChannel? = nil,
    hmacSecret: DeviceSecret?? = nil
  ) {
    self.name = name
    self.location = location
    self.mqttDeviceId = mqttDeviceId
    self.commandChannel = commandChannel
    self.hmacSecret = hmacSecret
  }
}

/// Lamps.
public struct DeviceRepository: Sendable {
  public let database: any SQLDatabase

  public init(database: any SQLDatabase) { self.database = database }

  static let columns = columns(prefix: "")

  static func columns(prefix p: String) -> String {
    ["id", "device_id", "mqtt_device_id", "name", "location", "command_channel", "created_at", "hmac_secret"].map {
      p + $0
    }
    .joined(separator: ", ")
  }

  /// Creates a device under its submitted id; with `ownerUserId` the creator is linked as owner (manage/manage)
  /// in the same transaction. `StoreError.duplicate(field: "deviceId")` when the id exists.
  public func create(
    _ device: NewDevice, ownerUserId: Int64? = nil, now: Int64 = Timestamp.nowMillis()
  ) async throws -> DeviceRecord {
    try await database.write { conn in
      let iso = Timestamp.iso(now)
      let result: SQLExecuteResult
      do {
        result = try conn.execute(
          """
          INSERT INTO devices (device_id, mqtt_device_id, name, location, command_channel, hmac_secret, created_at)
          VALUES (?, ?, ?, ?, ?, ?, ?)
          """,
          [
            .text(device.deviceId.rawValue), .text((device.mqttDeviceId ?? device.deviceId).rawValue),
            .text(device.name), SQLValue(device.location), .text(device.commandChannel.name),
            .text(device.hmacSecret?.value ?? DeviceSecret.upstreamPlaceholder), .text(iso),
          ])
      } catch SQLError.uniqueViolation {
        throw StoreError.duplicate(field: "deviceId")
      }
      if let ownerUserId {
        do {
          try conn.execute(
            """
            INSERT INTO user_devices (user_id, device_id, role, device_permission, schedule_permission,
              assigned_by_user_id, created_at, updated_at) VALUES (?, ?, 'owner', 'manage', 'manage', ?, ?, ?)
            """, [.int64(ownerUserId), .int64(result.lastInsertID), .int64(ownerUserId), .text(iso), .text(iso)])
        } catch SQLError.foreignKeyViolation {
          throw StoreError.userNotFound(ownerUserId)
        }
      }
      guard let created = try Self.fetch(id: result.lastInsertID, conn) else {
        throw StoreError.deviceNotFound(device.deviceId.rawValue)
      }
      return created
    }
  }

  public func byPublicId(_ deviceId: String) async throws -> DeviceRecord? {
    try await database.read { conn in try Self.fetch(publicId: deviceId, conn) }
  }

  public func byId(_ id: Int64) async throws -> DeviceRecord? {
    try await database.read { conn in try Self.fetch(id: id, conn) }
  }

  /// Every device, ordered by internal id (creation order).
  public func list() async throws -> [DeviceRecord] {
    try await database.read { conn in
      try conn.query("SELECT \(Self.columns) FROM devices ORDER BY id").map(DeviceRecord.init(row:))
    }
  }

  public func update(
    _ deviceId: String, _ changes: DeviceChanges, now: Int64 = Timestamp.nowMillis()
  ) async throws -> DeviceRecord {
    try await database.write { conn in
      var sets: [String] = []
      var binds: [SQLValue] = []
      if let name = changes.name { sets.append("name = ?"); binds.append(.text(name)) }
      if let location = changes.location { sets.append("location = ?"); binds.append(SQLValue(location)) }
      if let mqtt = changes.mqttDeviceId { sets.append("mqtt_device_id = ?"); binds.append(.text(mqtt.rawValue)) }
      if let channel = changes.commandChannel { sets.append("command_channel = ?"); binds.append(.text(channel.name)) }
      if let secret = changes.hmacSecret {
        sets.append("hmac_secret = ?")
        binds.append(.text(secret?.value ?? DeviceSecret.upstreamPlaceholder))
      }
      if !sets.isEmpty {
        try conn.execute(
          "UPDATE devices SET \(sets.joined(separator: ", ")) WHERE device_id = ?", binds + [.text(deviceId)])
      }
      guard let device = try Self.fetch(publicId: deviceId, conn) else { throw StoreError.deviceNotFound(deviceId) }
      return device
    }
  }

  /// Deletes the device with its assignments, state, schedules and their runs in one transaction; command logs
  /// keep the public id as text. False when no such device.
  @discardableResult
  public func delete(_ deviceId: String) async throws -> Bool {
    try await database.write { conn in
      guard let device = try Self.fetch(publicId: deviceId, conn) else { return false }
      let id: [SQLValue] = [.int64(device.id)]
      // Explicit rather than relying on ON DELETE, so the outcome does not depend on the engine's FK settings.
      try conn.execute(
        "DELETE FROM schedule_runs WHERE device_id = ? OR schedule_id IN (SELECT id FROM device_schedules WHERE device_id = ?)",
        id + id)
      try conn.execute(
        "UPDATE command_logs SET schedule_id = NULL WHERE schedule_id IN (SELECT id FROM device_schedules WHERE device_id = ?)",
        id)
      try conn.execute("DELETE FROM device_schedules WHERE device_id = ?", id)
      try conn.execute("DELETE FROM user_devices WHERE device_id = ?", id)
      try conn.execute("DELETE FROM device_state WHERE device_id = ?", id)
      try conn.execute("UPDATE command_logs SET device_id = NULL WHERE device_id = ?", id)
      return try conn.execute("DELETE FROM devices WHERE id = ?", id).rowsAffected == 1
    }
  }

  /// A cheap signature of the device set and every assignment: when it changes, open realtime streams recompute
  /// what their caller may see.
  public func visibilitySignature() async throws -> String {
    try await database.read { conn in
      let devices = try conn.queryOne("SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS m FROM devices")
      let grants = try conn.queryOne(
        """
        SELECT COUNT(*) AS n, COALESCE(MAX(COALESCE(updated_at, created_at)), '') AS m,
          COALESCE(SUM(LENGTH(device_permission) * device_id + user_id), 0) AS s FROM user_devices
        """)
      let d = "\(try devices?.int64("n") ?? 0)/\(try devices?.int64("m") ?? 0)"
      let g = "\(try grants?.int64("n") ?? 0)/\(try grants?.string("m") ?? "")/\(try grants?.int64("s") ?? 0)"
      return d + "|" + g + "|" + (try Self.secretsDigest(conn))
    }
  }

  /// A digest of every device's secret, so that a secret set or cleared by the CLI or another instance reaches
  /// this one's command path at the next check. FNV-1a over (id, secret): only compared with itself, in memory,
  /// never logged; a household has few devices, so reading the column is cheap.
  static func secretsDigest(_ conn: any SQLConnection) throws -> String {
    try secretsDigest(
      conn.query("SELECT id, hmac_secret FROM devices ORDER BY id").map {
        (try $0.int64("id"), DeviceSecret(stored: try $0.optionalString("hmac_secret"))?.value ?? "")
      })
  }

  /// The digest of (id, secret) pairs in id order: the server computes it over the devices it holds, to tell
  /// whether the table still matches them without reloading every device.
  public static func secretsDigest(_ devices: some Sequence<(Int64, String)>) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    func mix(_ bytes: some Sequence<UInt8>) {
      for byte in bytes {
        hash ^= UInt64(byte)
        hash &*= 0x100_0000_01b3
      }
    }
    for (id, secret) in devices {
      mix(String(id).utf8)
      mix([0])
      mix(secret.utf8)
      mix([0])
    }
    return String(hash, radix: 16)
  }

  static func fetch(id: Int64, _ conn: any SQLConnection) throws -> DeviceRecord? {
    try conn.queryOne("SELECT \(columns) FROM devices WHERE id = ?", [.int64(id)]).map(DeviceRecord.init(row:))
  }

  static func fetch(publicId: String, _ conn: any SQLConnection) throws -> DeviceRecord? {
    try conn.queryOne("SELECT \(columns) FROM devices WHERE device_id = ?", [.text(publicId)])
      .map(DeviceRecord.init(row:))
  }
}
