import SmartLampCore

/// What the audit log shows (issue #8 item 5): which rows of the command log and the device-side history.
public struct AuditFilter: Sendable, Hashable {
  /// A lamp's public id: its commands (also after it was deleted) and its device-side changes.
  public var deviceId: String?
  /// Commands issued by this person or with this API key.
  public var userId: Int64?
  public var clientId: Int64?
  /// `user`, `api_key`, `schedule` (commands) or `device` (device-side changes).
  public var origin: String?
  /// A command status (commands only).
  public var status: CommandStatus?
  public var kind: LampHistoryKind?
  /// Epoch milliseconds: `from` inclusive, `to` exclusive.
  public var from: Int64?
  public var to: Int64?
  /// Internal ids of the devices the reader may see; nil for everything (administrators, who also see the commands
  /// of deleted devices).
  public var visibleDeviceIds: Set<Int64>?

  public init(
    deviceId: String? = nil, userId: Int64? = nil, clientId: Int64? = nil, origin: String? = nil,
    status: CommandStatus? = nil, kind: LampHistoryKind? = nil, from: Int64? = nil, to: Int64? = nil,
    visibleDeviceIds: Set<Int64>? = nil
  ) {
    self.deviceId = deviceId
    self.userId = userId
    self.clientId = clientId
    self.origin = origin
    self.status = status
    self.kind = kind
    self.from = from
    self.to = to
    self.visibleDeviceIds = visibleDeviceIds
  }

  /// Whether command rows can match: not when only device-side changes are asked for.
  var includesCommands: Bool { kind != .device && origin != "device" }

  /// Whether device-side changes can match: they have no sender, status or command origin.
  var includesDeviceChanges: Bool {
    kind != .command && userId == nil && clientId == nil && status == nil && (origin == nil || origin == "device")
  }
}

/// One row of the audit log.
public struct AuditEntry: Sendable, Hashable {
  public var position: LampHistoryPosition
  public var deviceId: String
  /// nil when the lamp has been deleted since.
  public var deviceName: String?
  public var channel: String
  /// The command's action, or the power the device reported (upper case as stored).
  public var power: String
  /// `user`, `api_key`, `schedule` or `device`.
  public var origin: String
  public var status: CommandStatus?
  public var ackLatencyMs: Int64?
  public var error: String?
  public var actor: LampHistoryActor
  public var requestId: String?
  /// The report that showed a device-side change (`tasmota_stat_power`, …).
  public var source: String?
}

public struct AuditPage: Sendable, Hashable {
  public var items: [AuditEntry]
  public var next: LampHistoryPosition?
}

/// The audit log: every command and every device-side change, merged newest first in the same total order as a
/// lamp's history (time, source, row id), so a cursor never repeats or skips a row.
public struct AuditLogRepository: Sendable {
  public let database: any SQLDatabase

  public init(database: any SQLDatabase) { self.database = database }

  public static let maximumPageSize = 1000

  /// Up to `limit` rows matching `filter` after `after` (exclusive). Each source is read in time order for at most
  /// `limit + 1` rows, then the two are merged.
  public func page(_ filter: AuditFilter, limit: Int, after: LampHistoryPosition? = nil) async throws -> AuditPage {
    let size = min(max(limit, 1), Self.maximumPageSize)
    if let visible = filter.visibleDeviceIds, visible.isEmpty { return AuditPage(items: [], next: nil) }
    return try await database.read { conn in
      let commands = filter.includesCommands ? try Self.commands(filter, size + 1, after: after, conn) : []
      let changes = filter.includesDeviceChanges ? try Self.deviceChanges(filter, size + 1, after: after, conn) : []
      let merged = (commands + changes).sorted { $0.position < $1.position }
      let items = Array(merged.prefix(size))
      return AuditPage(items: items, next: merged.count > size ? items.last?.position : nil)
    }
  }

  /// The conditions both sources share: time range, visibility, and "strictly after `position`".
  private static func common(
    _ kind: LampHistoryKind, _ filter: AuditFilter, time: String, id: String, device: String,
    after position: LampHistoryPosition?, dialect: SQLDialect
  ) -> (conditions: [String], binds: [SQLValue]) {
    var conditions: [String] = []
    var binds: [SQLValue] = []
    if let from = filter.from {
      conditions.append("\(time) >= ?")
      binds.append(.int64(from))
    }
    if let to = filter.to {
      conditions.append("\(time) < ?")
      binds.append(.int64(to))
    }
    if let visible = filter.visibleDeviceIds {
      let ids = visible.sorted()
      conditions.append("\(device) IN (\(dialect.placeholders(ids.count)))")
      binds += ids.map(SQLValue.int64)
    }
    if let position {
      if kind.rank < position.kind.rank {
        conditions.append("\(time) <= ?")
        binds.append(.int64(position.at))
      } else if kind.rank > position.kind.rank {
        conditions.append("\(time) < ?")
        binds.append(.int64(position.at))
      } else {
        conditions.append("(\(time) < ? OR (\(time) = ? AND \(id) < ?))")
        binds += [.int64(position.at), .int64(position.at), .int64(position.id)]
      }
    }
    return (conditions, binds)
  }

  private static func commands(
    _ filter: AuditFilter, _ limit: Int, after position: LampHistoryPosition?, _ conn: any SQLConnection
  ) throws -> [AuditEntry] {
    var (conditions, binds) = common(
      .command, filter, time: "c.issued_at", id: "c.id", device: "c.device_id", after: position, dialect: conn.dialect)
    if let deviceId = filter.deviceId {
      conditions.append("c.device_public_id = ?")
      binds.append(.text(deviceId))
    }
    if let userId = filter.userId {
      conditions.append("c.user_id = ?")
      binds.append(.int64(userId))
    }
    if let clientId = filter.clientId {
      conditions.append("c.client_id = ?")
      binds.append(.int64(clientId))
    }
    if let origin = filter.origin {
      conditions.append("c.origin = ?")
      binds.append(.text(origin))
    }
    if let status = filter.status {
      conditions.append("c.result = ?")
      binds.append(.text(status.rawValue))
    }
    let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
    let rows = try conn.query(
      """
      SELECT c.id, c.request_id, c.issued_at, c.device_public_id, c.channel, c.action, c.result, c.ack_latency_ms,
        c.error, c.origin, c.user_id, c.client_id, c.schedule_id, d.name AS device_name, u.name AS user_name,
        k.name AS client_name
      FROM command_logs c
        LEFT JOIN devices d ON d.id = c.device_id
        LEFT JOIN users u ON u.id = c.user_id
        LEFT JOIN integration_clients k ON k.id = c.client_id
      \(clause)
      ORDER BY c.issued_at DESC, c.id DESC \(conn.dialect.limit(limit))
      """, binds)
    return try rows.map { row in
      let origin = CommandOrigin(rawValue: try row.string("origin")) ?? .user
      let actor = try LampHistoryActor.issuer(of: row, origin: origin)
      return AuditEntry(
        position: LampHistoryPosition(at: try row.int64("issued_at"), kind: .command, id: try row.int64("id")),
        deviceId: try row.string("device_public_id"), deviceName: try row.optionalString("device_name"),
        channel: try row.string("channel"), power: try row.string("action").uppercased(), origin: origin.rawValue,
        status: CommandStatus(storedValue: try row.string("result")),
        ackLatencyMs: try row.optionalInt64("ack_latency_ms"), error: try row.optionalString("error"), actor: actor,
        requestId: try row.string("request_id"), source: nil)
    }
  }

  private static func deviceChanges(
    _ filter: AuditFilter, _ limit: Int, after position: LampHistoryPosition?, _ conn: any SQLConnection
  ) throws -> [AuditEntry] {
    var (conditions, binds) = common(
      .device, filter, time: "h.occurred_at", id: "h.id", device: "h.device_id", after: position, dialect: conn.dialect)
    if let deviceId = filter.deviceId {
      conditions.append("d.device_id = ?")
      binds.append(.text(deviceId))
    }
    let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
    let rows = try conn.query(
      """
      SELECT h.id, h.occurred_at, h.channel, h.power, h.source, d.device_id AS public_id, d.name AS device_name
      FROM device_history h JOIN devices d ON d.id = h.device_id
      \(clause)
      ORDER BY h.occurred_at DESC, h.id DESC \(conn.dialect.limit(limit))
      """, binds)
    return try rows.map { row in
      AuditEntry(
        position: LampHistoryPosition(at: try row.int64("occurred_at"), kind: .device, id: try row.int64("id")),
        deviceId: try row.string("public_id"), deviceName: try row.optionalString("device_name"),
        channel: try row.string("channel"), power: try row.string("power").uppercased(), origin: "device",
        status: nil, ackLatencyMs: nil, error: nil, actor: .device, requestId: nil,
        source: try row.optionalString("source"))
    }
  }
}
