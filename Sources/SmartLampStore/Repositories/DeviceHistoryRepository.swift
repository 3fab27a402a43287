import SmartLampCore

/// A power change a device reported that no command explains (`device_history`): a wall switch, Tasmota's own
/// timer, a change made while the server could not see the device.
public struct NewDeviceHistory: Sendable, Hashable {
  public var deviceInternalId: Int64
  public var channel: CommandChannel
  public var power: PowerAction
  /// The kind of report that showed the change (`tasmota_stat_power`, `tasmota_tele_state`, …).
  public var source: String
  /// Epoch milliseconds of the report.
  public var occurredAt: Int64

  public init(deviceInternalId: Int64, channel: CommandChannel, power: PowerAction, source: String, occurredAt: Int64) {
    self.deviceInternalId = deviceInternalId
    self.channel = channel
    self.power = power
    self.source = source
    self.occurredAt = occurredAt
  }
}

/// Device-side history: written in batches off the ingest path, pruned by age like the command log.
public struct DeviceHistoryRepository: Sendable {
  public let database: any SQLDatabase

  public init(database: any SQLDatabase) { self.database = database }

  /// Source texts are cut to this many characters.
  static let maximumSourceLength = 64

  /// Writes a batch in one transaction; rows of devices deleted meanwhile are skipped. Returns how many were
  /// written.
  @discardableResult
  public func record(_ rows: [NewDeviceHistory], now: Int64 = Timestamp.nowMillis()) async throws -> Int {
    guard !rows.isEmpty else { return 0 }
    let devices = Array(Set(rows.map(\.deviceInternalId))).sorted()
    return try await database.write { conn in
      let existing = Set(
        try conn.query(
          "SELECT id FROM devices WHERE id IN (\(conn.dialect.placeholders(devices.count)))",
          devices.map(SQLValue.int64)
        ).map { try $0.int64("id") })
      var written = 0
      let created = SQLValue.text(Timestamp.iso(now))
      for row in rows where existing.contains(row.deviceInternalId) {
        try conn.execute(
          """
          INSERT INTO device_history (device_id, channel, power, source, occurred_at, created_at)
          VALUES (?, ?, ?, ?, ?, ?)
          """,
          [
            .int64(row.deviceInternalId), .text(row.channel.name), .text(row.power.rawValue),
            .text(String(row.source.prefix(Self.maximumSourceLength))), .int64(row.occurredAt), created,
          ])
        written += 1
      }
      return written
    }
  }

  /// Deletes rows that occurred before `cutoff` (epoch ms), `batchSize` per transaction, oldest first.
  public func deleteOccurred(before cutoff: Int64, batchSize: Int = CommandLogRepository.defaultDeletionBatchSize)
    async throws -> BatchDeletion
  {
    try await AgeDeletion(table: "device_history", ageColumn: "occurred_at", cutoff: cutoff, batchSize: batchSize)
      .run(on: database)
  }
}
