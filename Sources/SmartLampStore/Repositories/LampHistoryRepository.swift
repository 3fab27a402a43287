import SmartLampCore

/// Which source an entry of a lamp's history comes from.
public enum LampHistoryKind: String, Sendable, Hashable, CaseIterable {
  case command
  case device

  /// Tie-break between the sources at the same instant (higher first in newest-first order).
  var rank: Int {
    switch self {
    case .command: 1
    case .device: 0
    }
  }
}

/// Who made an entry happen.
public struct LampHistoryActor: Sendable, Hashable {
  /// `user`, `api_key`, `schedule` or `device`.
  public var type: String
  public var id: Int64?
  /// A person's or an API key's name; nil for schedules, the device, and deleted accounts or keys.
  public var name: String?

  public init(type: String, id: Int64?, name: String?) {
    self.type = type
    self.id = id
    self.name = name
  }

  public static let device = LampHistoryActor(type: "device", id: nil, name: nil)

  /// Who issued a `command_logs` row, read from a query that joins `users` as `user_name` and
  /// `integration_clients` as `client_name` (the lamp history and the audit log both do).
  static func issuer(of row: SQLRow, origin: CommandOrigin) throws -> LampHistoryActor {
    switch origin {
    case .user:
      LampHistoryActor(type: "user", id: try row.optionalInt64("user_id"), name: try row.optionalString("user_name"))
    case .apiKey:
      LampHistoryActor(
        type: "api_key", id: try row.optionalInt64("client_id"), name: try row.optionalString("client_name"))
    case .schedule:
      LampHistoryActor(type: "schedule", id: try row.optionalInt64("schedule_id"), name: nil)
    }
  }
}

/// A place in a lamp's history: entries are ordered newest first by (time, source, row id), a total order over
/// both tables, so a page that starts after a position never repeats or skips an entry.
public struct LampHistoryPosition: Sendable, Hashable, Comparable {
  public var at: Int64
  public var kind: LampHistoryKind
  public var id: Int64

  public init(at: Int64, kind: LampHistoryKind, id: Int64) {
    self.at = at
    self.kind = kind
    self.id = id
  }

  /// `<at>.<c|d>.<id>`, the opaque cursor text.
  public var text: String { "\(at).\(kind == .command ? "c" : "d").\(id)" }

  public init?(text: String) {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[0].count <= 16, parts[2].count <= 19, let at = Int64(parts[0]), at >= 0,
      let id = Int64(parts[2]), id > 0
    else { return nil }
    switch parts[1] {
    case "c": kind = .command
    case "d": kind = .device
    default: return nil
    }
    self.at = at
    self.id = id
  }

  /// Newest first: a position is "before" another when it comes earlier in that order.
  public static func < (lhs: Self, rhs: Self) -> Bool {
    (lhs.at, lhs.kind.rank, lhs.id) > (rhs.at, rhs.kind.rank, rhs.id)
  }
}

/// One entry of a lamp's history.
public struct LampHistoryEntry: Sendable, Hashable {
  public var position: LampHistoryPosition
  public var power: PowerAction
  /// The command's status; nil for device-side changes.
  public var status: CommandStatus?
  public var ackLatencyMs: Int64?
  public var actor: LampHistoryActor
  /// The command's request id; nil for device-side changes.
  public var requestId: String?
}

public struct LampHistoryPage: Sendable, Hashable {
  public var items: [LampHistoryEntry]
  /// Where the next page starts; nil on the last page.
  public var next: LampHistoryPosition?
}

/// A lamp's history: its command log rows and its device-side changes merged into one list, newest first.
public struct LampHistoryRepository: Sendable {
  public let database: any SQLDatabase

  public init(database: any SQLDatabase) { self.database = database }

  public static let maximumPageSize = 200

  /// Up to `limit` entries of the device (internal id) after `after` (exclusive), at or after `since` (epoch ms).
  /// Each source is read in index order (`idx_command_logs_device_issued`, `idx_device_history_device`) for
  /// at most `limit + 1` rows, then the two are merged.
  public func page(deviceInternalId: Int64, limit: Int, after: LampHistoryPosition? = nil, since: Int64? = nil)
    async throws -> LampHistoryPage
  {
    let size = min(max(limit, 1), Self.maximumPageSize)
    return try await database.read { conn in
      let commands = try Self.commands(deviceInternalId, size + 1, after: after, since: since, conn)
      let changes = try Self.deviceChanges(deviceInternalId, size + 1, after: after, since: since, conn)
      let merged = (commands + changes).sorted { $0.position < $1.position }
      let items = Array(merged.prefix(size))
      return LampHistoryPage(items: items, next: merged.count > size ? items.last?.position : nil)
    }
  }

  /// The WHERE clause of one source's read: its device, `since`, and "strictly after `position` in newest-first
  /// order" (a row of the other source at the cursor's instant is after it or not by the sources' tie-break).
  private static func filter(
    _ kind: LampHistoryKind, device: Int64, prefix p: String, time: String, since: Int64?,
    after position: LampHistoryPosition?
  ) -> (sql: String, binds: [SQLValue]) {
    var conditions = ["\(p)device_id = ?"]
    var binds: [SQLValue] = [.int64(device)]
    if let since {
      conditions.append("\(p)\(time) >= ?")
      binds.append(.int64(since))
    }
    if let position {
      if kind.rank < position.kind.rank {
        conditions.append("\(p)\(time) <= ?")
        binds.append(.int64(position.at))
      } else if kind.rank > position.kind.rank {
        conditions.append("\(p)\(time) < ?")
        binds.append(.int64(position.at))
      } else {
        conditions.append("(\(p)\(time) < ? OR (\(p)\(time) = ? AND \(p)id < ?))")
        binds += [.int64(position.at), .int64(position.at), .int64(position.id)]
      }
    }
    return (conditions.joined(separator: " AND "), binds)
  }

  private static func commands(
    _ device: Int64, _ limit: Int, after position: LampHistoryPosition?, since: Int64?, _ conn: any SQLConnection
  ) throws -> [LampHistoryEntry] {
    // Upstream rows may carry other action texts; they are no part of an ON/OFF history (filtered in SQL, not
    // after the read, so a page still holds `limit` rows when more exist).
    let (clause, binds) = filter(
      .command, device: device, prefix: "c.", time: "issued_at", since: since, after: position)
    let rows = try conn.query(
      """
      SELECT c.id, c.request_id, c.issued_at, c.action, c.result, c.ack_latency_ms, c.origin, c.user_id,
        c.client_id, c.schedule_id, u.name AS user_name, k.name AS client_name
      FROM command_logs c
        LEFT JOIN users u ON u.id = c.user_id
        LEFT JOIN integration_clients k ON k.id = c.client_id
      WHERE \(clause) AND upper(trim(c.action)) IN ('ON', 'OFF')
      ORDER BY c.issued_at DESC, c.id DESC \(conn.dialect.limit(limit))
      """, binds)
    return try rows.compactMap { row in
      guard let power = PowerAction(parsing: try row.string("action")) else { return nil }
      let origin = CommandOrigin(rawValue: try row.string("origin")) ?? .user
      let actor = try LampHistoryActor.issuer(of: row, origin: origin)
      return LampHistoryEntry(
        position: LampHistoryPosition(at: try row.int64("issued_at"), kind: .command, id: try row.int64("id")),
        power: power, status: CommandStatus(storedValue: try row.string("result")),
        ackLatencyMs: try row.optionalInt64("ack_latency_ms"), actor: actor, requestId: try row.string("request_id"))
    }
  }

  private static func deviceChanges(
    _ device: Int64, _ limit: Int, after position: LampHistoryPosition?, since: Int64?, _ conn: any SQLConnection
  ) throws -> [LampHistoryEntry] {
    let (clause, binds) = filter(
      .device, device: device, prefix: "", time: "occurred_at", since: since, after: position)
    let rows = try conn.query(
      """
      SELECT id, occurred_at, power FROM device_history WHERE \(clause)
      ORDER BY occurred_at DESC, id DESC \(conn.dialect.limit(limit))
      """, binds)
    return try rows.compactMap { row in
      guard let power = PowerAction(parsing: try row.string("power")) else { return nil }
      return LampHistoryEntry(
        position: LampHistoryPosition(at: try row.int64("occurred_at"), kind: .device, id: try row.int64("id")),
        power: power, status: nil, ackLatencyMs: nil, actor: .device, requestId: nil)
    }
  }
}
