import SmartLampCore

/// One channel's reported state (`device_state`), keyed by the device's public id and channel.
public struct DeviceStateRecord: Sendable, Hashable {
  public var deviceId: String
  public var channel: CommandChannel
  public var power: PowerState
  /// From LWT; nil while unknown.
  public var online: Bool?
  public var lastSeenAt: Int64?
  public var rssi: Int?
  public var uptimeSec: Int64?
  /// Where the state came from (`device`, `command`…).
  public var source: String
  /// How the device speaks MQTT, once known (`device_state.profile`).
  public var profile: DeviceProfile?
  /// Epoch milliseconds.
  public var updatedAt: Int64

  public init(
    deviceId: String, channel: CommandChannel, power: PowerState, online: Bool?, lastSeenAt: Int64?, rssi: Int? = nil,
    uptimeSec: Int64? = nil, source: String = "device", profile: DeviceProfile? = nil, updatedAt: Int64
  ) {
    self.deviceId = deviceId
    self.channel = channel
    self.power = power
    self.online = online
    self.lastSeenAt = lastSeenAt
    self.rssi = rssi
    self.uptimeSec = uptimeSec
    self.source = source
    self.profile = profile
    self.updatedAt = updatedAt
  }
}

/// Write-through persistence of the in-memory device state: batches in, everything out at start.
public struct DeviceStateRepository: Sendable {
  public let database: any SQLDatabase

  public init(database: any SQLDatabase) { self.database = database }

  /// Upserts a batch in one transaction; states of devices that no longer exist are skipped. Returns the number
  /// of rows written.
  @discardableResult
  public func upsert(_ states: [DeviceStateRecord]) async throws -> Int {
    guard !states.isEmpty else { return 0 }
    return try await database.write { conn in
      let sql = conn.dialect.upsert(
        into: "device_state",
        columns: [
          "device_id", "channel", "power", "online", "last_seen_at", "rssi", "uptime_sec", "source", "updated_at",
          "profile",
        ],
        conflictColumns: ["device_id", "channel"],
        updateColumns: ["power", "online", "last_seen_at", "rssi", "uptime_sec", "source", "updated_at", "profile"])
      var ids: [String: Int64?] = [:]
      var written = 0
      for state in states {
        let internalId: Int64?
        if let known = ids[state.deviceId] {
          internalId = known
        } else {
          internalId = try conn.queryOne("SELECT id FROM devices WHERE device_id = ?", [.text(state.deviceId)])?
            .int64("id")
          ids[state.deviceId] = internalId
        }
        guard let internalId else { continue }
        try conn.execute(
          sql,
          [
            .int64(internalId), .text(state.channel.name), .text(state.power.rawValue), SQLValue(state.online),
            SQLValue(state.lastSeenAt), SQLValue(state.rssi), SQLValue(state.uptimeSec), .text(state.source),
            .int64(state.updatedAt), SQLValue(state.profile?.rawValue),
          ])
        written += 1
      }
      return written
    }
  }

  /// Every stored state, by device creation order then channel.
  public func loadAll() async throws -> [DeviceStateRecord] {
    try await database.read { conn in
      try conn.query(
        """
        SELECT d.device_id AS public_id, s.channel, s.power, s.online, s.last_seen_at, s.rssi, s.uptime_sec,
          s.source, s.updated_at, s.profile
        FROM device_state s JOIN devices d ON d.id = s.device_id ORDER BY d.id, s.channel
        """
      ).compactMap(Self.record(row:))
    }
  }

  static func record(row: SQLRow) throws -> DeviceStateRecord? {
    // A channel text this build cannot parse is skipped rather than failing the whole load.
    guard let channel = try? CommandChannel(parsing: try row.string("channel")) else { return nil }
    return DeviceStateRecord(
      deviceId: try row.string("public_id"), channel: channel, power: PowerState(storedValue: try row.string("power")),
      online: try row.optionalBool("online"), lastSeenAt: try row.optionalInt64("last_seen_at"),
      rssi: try row.optionalInt("rssi"), uptimeSec: try row.optionalInt64("uptime_sec"),
      source: try row.string("source"),
      profile: try row.optionalString("profile").flatMap(DeviceProfile.init(rawValue:)),
      updatedAt: try row.int64("updated_at"))
  }
}
