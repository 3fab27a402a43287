import SmartLampStore

/// One `device_state` row: the reported state of one device entity's channel.
struct StoredDeviceState: Sendable, Hashable {
  var deviceInternalId: Int64
  var channel: String
  var power: String
  var online: Bool?
  var lastSeenAt: Int64?
  var rssi: Int?
  var uptimeSec: Int?
  var updatedAt: Int64
}

/// SQL for `device_state`: loaded once at start, written through in batches.
struct DeviceStateStore: Sendable {
  let database: any SQLDatabase

  func loadAll() async throws -> [StoredDeviceState] {
    try await database.read { db in
      try db.query(
        "SELECT device_id, channel, power, online, last_seen_at, rssi, uptime_sec, updated_at FROM device_state"
      ).map { row in
        StoredDeviceState(
          deviceInternalId: try row.int64("device_id"), channel: try row.string("channel"),
          power: try row.string("power"), online: try row.optionalBool("online"),
          lastSeenAt: try row.optionalInt64("last_seen_at"), rssi: try row.optionalInt("rssi"),
          uptimeSec: try row.optionalInt("uptime_sec"), updatedAt: try row.int64("updated_at"))
      }
    }
  }

  /// Upserts every row in one transaction. Rows of devices deleted meanwhile are skipped.
  func save(_ states: [StoredDeviceState]) async throws {
    guard !states.isEmpty else { return }
    try await database.write { db in
      let sql = db.dialect.upsert(
        into: "device_state",
        columns: [
          "device_id", "channel", "power", "online", "last_seen_at", "rssi", "uptime_sec", "source", "updated_at",
        ],
        conflictColumns: ["device_id", "channel"],
        updateColumns: ["power", "online", "last_seen_at", "rssi", "uptime_sec", "source", "updated_at"])
      for state in states {
        do {
          try db.execute(
            sql,
            [
              .int64(state.deviceInternalId), .text(state.channel), .text(state.power), SQLValue(state.online),
              SQLValue(state.lastSeenAt), SQLValue(state.rssi), SQLValue(state.uptimeSec), .text("device"),
              .int64(state.updatedAt),
            ])
        } catch SQLError.foreignKeyViolation {
          continue
        }
      }
    }
  }
}
