import SmartLampCore
import SmartLampStore

/// Who issued a command (CONTRACT §5 `origin`).
enum CommandOrigin: String, Sendable, Codable {
  case user
  case apiKey = "api_key"
  case schedule
}

/// A command's outcome as stored in `command_logs.result` (CONTRACT §7).
enum CommandStatus: String, Sendable, Codable {
  case published = "PUBLISHED"
  case acked = "ACKED"
  case timeout = "TIMEOUT"
  case failed = "FAILED"
}

/// One `command_logs` row.
struct CommandLogEntry: Sendable, Hashable {
  var id: Int64
  var requestId: String
  var deviceInternalId: Int64?
  var deviceId: String
  var channel: String
  var action: String
  var origin: String
  var userId: Int64?
  var clientId: Int64?
  var scheduleId: Int64?
  var status: String
  var issuedAt: Int64
  var ackedAt: Int64?
  var ackLatencyMs: Int64?
  var error: String?

  init(row: SQLRow) throws {
    id = try row.int64("id")
    requestId = try row.string("request_id")
    deviceInternalId = try row.optionalInt64("device_id")
    deviceId = try row.string("device_public_id")
    channel = try row.string("channel")
    action = try row.string("action")
    origin = try row.string("origin")
    userId = try row.optionalInt64("user_id")
    clientId = try row.optionalInt64("client_id")
    scheduleId = try row.optionalInt64("schedule_id")
    status = try row.string("result")
    issuedAt = try row.int64("issued_at")
    ackedAt = try row.optionalInt64("acked_at")
    ackLatencyMs = try row.optionalInt64("ack_latency_ms")
    error = try row.optionalString("error")
  }
}

/// What a new audit row is made of.
struct NewCommandLog: Sendable {
  var requestId: String
  var device: LampDevice
  var action: PowerAction
  var origin: CommandOrigin
  var userId: Int64?
  var clientId: Int64?
  var scheduleId: Int64?
  var issuedAt: Int64
  var expiresAt: Int64
}

/// SQL for the command audit log.
struct CommandLogStore: Sendable {
  let database: any SQLDatabase

  static let columns = """
    id, request_id, device_id, device_public_id, channel, action, origin, user_id, client_id, schedule_id, result,
    issued_at, acked_at, ack_latency_ms, error
    """

  /// Inserts a `PUBLISHED` row (or a row already carrying its outcome, when the device answered before the insert)
  /// and returns its id.
  func insert(_ log: NewCommandLog, status: CommandStatus, ackedAt: Int64?, latencyMs: Int64?) async throws -> Int64 {
    try await database.write { db in
      try db.execute(
        """
        INSERT INTO command_logs (request_id, user_id, device_id, device_public_id, channel, action, origin,
          client_id, schedule_id, issued_at, expires_at, result, ack_status, acked_at, ack_latency_ms, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
          .text(log.requestId), SQLValue(log.userId), .int64(log.device.id), .text(log.device.deviceId),
          .text(log.device.channel.name), .text(log.action.rawValue), .text(log.origin.rawValue),
          SQLValue(log.clientId), SQLValue(log.scheduleId), .int64(log.issuedAt), .int64(log.expiresAt),
          .text(status.rawValue), .text(status == .published ? "PENDING" : status.rawValue), SQLValue(ackedAt),
          SQLValue(latencyMs), .text(Timestamp.iso(log.issuedAt)),
        ]
      ).lastInsertID
    }
  }

  /// Records the acknowledgement outcome of a published command.
  func complete(id: Int64, status: CommandStatus, ackedAt: Int64?, latencyMs: Int64?) async throws {
    _ = try await database.write { db in
      try db.execute(
        "UPDATE command_logs SET result = ?, ack_status = ?, acked_at = ?, ack_latency_ms = ? WHERE id = ?",
        [.text(status.rawValue), .text(status.rawValue), SQLValue(ackedAt), SQLValue(latencyMs), .int64(id)])
    }
  }

  /// Newest first, at most `limit`, older than `before` (a row id) when given; restricted to `devices` (internal
  /// ids) when given, and to one public device id when `deviceId` is given.
  func page(limit: Int, before: Int64?, deviceId: String?, visibleDevices: Set<Int64>?) async throws
    -> [CommandLogEntry]
  {
    try await database.read { db in
      var sql = "SELECT \(Self.columns) FROM command_logs WHERE 1 = 1"
      var binds: [SQLValue] = []
      if let before {
        sql += " AND id < ?"
        binds.append(.int64(before))
      }
      if let deviceId {
        sql += " AND device_public_id = ?"
        binds.append(.text(deviceId))
      }
      if let visibleDevices {
        guard !visibleDevices.isEmpty else { return [] }
        sql += " AND device_id IN (\(db.dialect.placeholders(visibleDevices.count)))"
        binds += visibleDevices.sorted().map(SQLValue.int64)
      }
      sql += " ORDER BY id DESC " + db.dialect.limit(limit)
      return try db.query(sql, binds).map(CommandLogEntry.init(row:))
    }
  }

  /// The newest row with this request id.
  func find(requestId: String, visibleDevices: Set<Int64>?) async throws -> CommandLogEntry? {
    try await database.read { db in
      var sql = "SELECT \(Self.columns) FROM command_logs WHERE request_id = ?"
      var binds: [SQLValue] = [.text(requestId)]
      if let visibleDevices {
        guard !visibleDevices.isEmpty else { return nil }
        sql += " AND device_id IN (\(db.dialect.placeholders(visibleDevices.count)))"
        binds += visibleDevices.sorted().map(SQLValue.int64)
      }
      sql += " ORDER BY id DESC " + db.dialect.limit(1)
      return try db.queryOne(sql, binds).map(CommandLogEntry.init(row:))
    }
  }

  /// The last acknowledged or published command per device (the "best status" fallback of CONTRACT §7).
  func lastCommands() async throws -> [Int64: (action: String, issuedAt: Int64)] {
    try await database.read { db in
      let rows = try db.query(
        """
        SELECT device_id, action, issued_at FROM command_logs WHERE id IN (
          SELECT MAX(id) FROM command_logs
          WHERE device_id IS NOT NULL AND result IN ('PUBLISHED', 'ACKED', 'SCHEDULED_SUCCESS')
          GROUP BY device_id)
        """)
      var result: [Int64: (action: String, issuedAt: Int64)] = [:]
      for row in rows {
        result[try row.int64("device_id")] = (try row.string("action"), try row.int64("issued_at"))
      }
      return result
    }
  }
}
