import SmartLampCore

/// A `device_schedules` row with the device's public id and the owner's email.
public struct ScheduleRecord: Sendable, Hashable {
  public var id: Int64
  public var userId: Int64
  public var userEmail: String?
  public var createdByUserId: Int64?
  public var deviceInternalId: Int64
  public var deviceId: String
  public var fields: ScheduleFields
  public var lastRunAt: Int64?
  public var createdAt: String
  public var updatedAt: String

  init(row: SQLRow) throws {
    id = try row.int64("id")
    userId = try row.int64("user_id")
    userEmail = try row.optionalString("user_email")
    createdByUserId = try row.optionalInt64("created_by_user_id")
    deviceInternalId = try row.int64("device_internal_id")
    deviceId = try row.string("device_public_id")
    fields = ScheduleFields(
      action: try row.string("action"), cron: try row.string("cron_expr"), timezone: try row.string("timezone"),
      enabled: try row.bool("enabled"), nextRunAt: try row.int64("next_run_at"),
      startAt: try row.optionalInt64("start_at"),
      endAt: try row.optionalInt64("end_at"), windowGroupId: try row.optionalString("window_group_id"),
      windowStart: try row.optionalInt("window_start_minute"), windowEnd: try row.optionalInt("window_end_minute"),
      windowInterval: try row.optionalInt("enforce_every_minute"),
      misfireGraceSec: try row.optionalInt("misfire_grace_sec") ?? MisfirePolicy.defaultGraceSeconds)
    lastRunAt = try row.optionalInt64("last_run_at")
    createdAt = try row.string("created_at")
    updatedAt = try row.string("updated_at")
  }
}

/// A schedule as lists show it: the record, its device's name, and how its newest finished run went.
public struct ScheduleListEntry: Sendable, Hashable {
  public var record: ScheduleRecord
  public var deviceName: String?
  /// `SUCCESS`, `FAILED` or `SKIPPED`; nil before the first run (or for text upstream rows may hold).
  public var lastRunStatus: ScheduleRunStatus?
  /// The newest run's reason, else its error text.
  public var lastRunReason: String?

  init(row: SQLRow) throws {
    record = try ScheduleRecord(row: row)
    deviceName = try row.optionalString("device_name")
    lastRunStatus = try row.optionalString("last_run_status").flatMap(ScheduleRunStatus.init(rawValue:))
    lastRunReason = try row.optionalString("last_run_reason")
  }
}

/// The editable part of a schedule. Window values are seconds of the day and an interval in seconds, stored in
/// upstream's `window_start_minute` / `window_end_minute` / `enforce_every_minute` columns (R4 semantics).
public struct ScheduleFields: Sendable, Hashable {
  /// `ON` or `OFF`.
  public var action: String
  public var cron: String
  public var timezone: String
  public var enabled: Bool
  /// The cursor: the next slot to handle, epoch ms.
  public var nextRunAt: Int64
  public var startAt: Int64?
  public var endAt: Int64?
  public var windowGroupId: String?
  public var windowStart: Int?
  public var windowEnd: Int?
  public var windowInterval: Int?
  public var misfireGraceSec: Int

  public init(
    action: String, cron: String, timezone: String, enabled: Bool = true, nextRunAt: Int64, startAt: Int64? = nil,
    endAt: Int64? = nil, windowGroupId: String? = nil, windowStart: Int? = nil, windowEnd: Int? = nil,
    windowInterval: Int? = nil, misfireGraceSec: Int = MisfirePolicy.defaultGraceSeconds
  ) {
    self.action = action
    self.cron = cron
    self.timezone = timezone
    self.enabled = enabled
    self.nextRunAt = nextRunAt
    self.startAt = startAt
    self.endAt = endAt
    self.windowGroupId = windowGroupId
    self.windowStart = windowStart
    self.windowEnd = windowEnd
    self.windowInterval = windowInterval
    self.misfireGraceSec = misfireGraceSec
  }
}

/// `schedule_runs.status`.
public enum ScheduleRunStatus: String, Sendable, Hashable, CaseIterable {
  case success = "SUCCESS"
  case failed = "FAILED"
  case skipped = "SKIPPED"
}

/// One `schedule_runs` row.
public struct ScheduleRunRecord: Sendable, Hashable {
  public var id: Int64
  public var scheduleId: Int64
  public var plannedAt: Int64
  public var executedAt: Int64?
  public var requestId: String?
  /// Stored text; upstream rows only know SUCCESS, FAILED and SKIPPED.
  public var status: String
  /// `reason`, else upstream's `error_message`.
  public var reason: String?
  public var ackStatus: String?
  public var ackedAt: Int64?
  public var ackLatencyMs: Int64?
  public var createdAt: String

  init(row: SQLRow) throws {
    id = try row.int64("id")
    scheduleId = try row.int64("schedule_id")
    plannedAt = try row.int64("planned_at")
    executedAt = try row.optionalInt64("executed_at")
    requestId = try row.optionalString("request_id")
    status = try row.string("status")
    reason = try row.optionalString("reason") ?? row.optionalString("error_message")
    ackStatus = try row.optionalString("ack_status")
    ackedAt = try row.optionalInt64("acked_at")
    ackLatencyMs = try row.optionalInt64("ack_latency_ms")
    createdAt = try row.string("created_at")
  }
}

/// How a claimed run ended.
public struct ScheduleRunOutcome: Sendable, Hashable {
  public var status: ScheduleRunStatus
  public var reason: String?
  public var requestId: String?
  public var executedAt: Int64?
  /// `ACKED`, `TIMEOUT`, `PENDING` (as the command log), or nil when nothing was published.
  public var ackStatus: String?
  public var ackedAt: Int64?
  public var ackLatencyMs: Int64?

  public init(
    status: ScheduleRunStatus, reason: String? = nil, requestId: String? = nil, executedAt: Int64? = nil,
    ackStatus: String? = nil, ackedAt: Int64? = nil, ackLatencyMs: Int64? = nil
  ) {
    self.status = status
    self.reason = reason
    self.requestId = requestId
    self.executedAt = executedAt
    self.ackStatus = ackStatus
    self.ackedAt = ackedAt
    self.ackLatencyMs = ackLatencyMs
  }
}

/// Who holds a claimed slot and until when (epoch ms): the runner renews the lease of its open claims every tick,
/// so a claim whose lease ran out belongs to a runner that is gone (killed, or cut off from the database) and any
/// instance may mark it abandoned long before the 5-minute rule for claims without a lease.
public struct ClaimLease: Sendable, Hashable {
  public var holder: String
  public var until: Int64

  public init(holder: String, until: Int64) {
    self.holder = holder
    self.until = until
  }
}

/// Runs newest planned first; `nextCursor` is the `plannedAt` to pass as `before` for the next page.
public struct ScheduleRunPage: Sendable, Hashable {
  public var items: [ScheduleRunRecord]
  public var nextCursor: Int64?
}

/// Schedules and their runs (UPSTREAM §5.6, §11; CONTRACT §9).
public struct ScheduleRepository: Sendable {
  public let database: any SQLDatabase

  public init(database: any SQLDatabase) { self.database = database }

  public static let maximumRunPageSize = 200
  /// The reason of the placeholder a claim writes, until the run's outcome replaces it.
  public static let claimedReason = "CLAIMED"
  /// The reason of a `FAILED` run whose claim was never finished (see ``failAbandonedClaims(claimedBefore:limit:)``).
  public static let abandonedReason = "ABANDONED"

  static let select = "SELECT \(columns) \(from)"

  static let columns = """
    s.id, s.user_id, u.email AS user_email, s.created_by_user_id, s.device_id AS device_internal_id,
      d.device_id AS device_public_id, s.action, s.cron_expr, s.timezone, s.enabled, s.next_run_at, s.last_run_at,
      s.start_at, s.end_at, s.window_group_id, s.window_start_minute, s.window_end_minute, s.enforce_every_minute,
      s.misfire_grace_sec, s.created_at, s.updated_at
    """

  static let from = """
    FROM device_schedules s JOIN devices d ON d.id = s.device_id LEFT JOIN users u ON u.id = s.user_id
    """

  static let runColumns = """
    id, schedule_id, planned_at, executed_at, request_id, status, error_message, reason, ack_status, acked_at,
    ack_latency_ms, created_at
    """

  /// Inserts a schedule for `userId` on the device with public id `deviceId`.
  /// - Throws: ``StoreError/deviceNotFound(_:)``, ``StoreError/userNotFound(_:)``.
  public func create(
    userId: Int64, createdBy: Int64?, deviceId: String, _ fields: ScheduleFields, now: Int64 = Timestamp.nowMillis()
  ) async throws -> ScheduleRecord {
    try await database.write { conn in
      guard try UserRepository.fetch(userId, conn) != nil else { throw StoreError.userNotFound(userId) }
      guard let device = try DeviceRepository.fetch(publicId: deviceId, conn) else {
        throw StoreError.deviceNotFound(deviceId)
      }
      let iso = Timestamp.iso(now)
      let id = try conn.execute(
        """
        INSERT INTO device_schedules (user_id, device_id, created_by_user_id, action, cron_expr, timezone, enabled,
          next_run_at, last_run_at, start_at, end_at, window_group_id, window_start_minute, window_end_minute,
          enforce_every_minute, misfire_grace_sec, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [.int64(userId), .int64(device.id), SQLValue(createdBy)] + Self.binds(fields) + [.text(iso), .text(iso)]
      ).lastInsertID
      guard let record = try Self.fetch(id, conn) else {
        throw SQLError.engine(code: -1, message: "inserted schedule not found")
      }
      return record
    }
  }

  public func byId(_ id: Int64) async throws -> ScheduleRecord? {
    try await database.read { conn in try Self.fetch(id, conn) }
  }

  /// Newest first; only schedules of `deviceInternalIds` when given (a member's visible devices; empty → none).
  public func list(deviceInternalIds: Set<Int64>? = nil) async throws -> [ScheduleRecord] {
    if let deviceInternalIds, deviceInternalIds.isEmpty { return [] }
    return try await database.read { conn in
      var sql = Self.select
      var binds: [SQLValue] = []
      if let deviceInternalIds {
        sql += " WHERE s.device_id IN (\(conn.dialect.placeholders(deviceInternalIds.count)))"
        binds = deviceInternalIds.sorted().map(SQLValue.int64)
      }
      return try conn.query(sql + " ORDER BY s.id DESC", binds).map(ScheduleRecord.init(row:))
    }
  }

  /// As ``list(deviceInternalIds:)``, each with its device's name and its newest finished run, in one query: the
  /// newest run per schedule is one backward step on `(schedule_id, planned_at)`, so the cost does not grow with a
  /// schedule's history. A slot claimed and still running (reason `CLAIMED`) is not finished and is passed over.
  public func listWithLastRun(deviceInternalIds: Set<Int64>? = nil) async throws -> [ScheduleListEntry] {
    if let deviceInternalIds, deviceInternalIds.isEmpty { return [] }
    return try await database.read { conn in
      var sql = """
        SELECT \(Self.columns), d.name AS device_name, r.status AS last_run_status,
          COALESCE(r.reason, r.error_message) AS last_run_reason
        \(Self.from)
        LEFT JOIN schedule_runs r ON r.schedule_id = s.id AND r.planned_at = (
          SELECT x.planned_at FROM schedule_runs x
          WHERE x.schedule_id = s.id AND (x.reason IS NULL OR x.reason <> ?)
          ORDER BY x.planned_at DESC \(conn.dialect.limit(1)))
        """
      var binds: [SQLValue] = [.text(Self.claimedReason)]
      if let deviceInternalIds {
        sql += " WHERE s.device_id IN (\(conn.dialect.placeholders(deviceInternalIds.count)))"
        binds += deviceInternalIds.sorted().map(SQLValue.int64)
      }
      return try conn.query(sql + " ORDER BY s.id DESC", binds).map(ScheduleListEntry.init(row:))
    }
  }

  /// Overwrites the editable fields; nil when the schedule no longer exists.
  public func update(_ id: Int64, _ fields: ScheduleFields, now: Int64 = Timestamp.nowMillis()) async throws
    -> ScheduleRecord?
  {
    try await database.write { conn in
      let changed = try conn.execute(
        """
        UPDATE device_schedules SET action = ?, cron_expr = ?, timezone = ?, enabled = ?, next_run_at = ?,
          start_at = ?, end_at = ?, window_group_id = ?, window_start_minute = ?, window_end_minute = ?,
          enforce_every_minute = ?, misfire_grace_sec = ?, updated_at = ?
        WHERE id = ?
        """, Self.binds(fields) + [.text(Timestamp.iso(now)), .int64(id)]
      ).rowsAffected
      return changed == 0 ? nil : try Self.fetch(id, conn)
    }
  }

  /// Deletes the schedule and its runs in one transaction; false when it did not exist.
  public func delete(_ id: Int64) async throws -> Bool {
    try await database.write { conn in
      try conn.execute("DELETE FROM schedule_runs WHERE schedule_id = ?", [.int64(id)])
      // Explicit, as in device deletion: the audit log keeps the command, not the link.
      try conn.execute("UPDATE command_logs SET schedule_id = NULL WHERE schedule_id = ?", [.int64(id)])
      return try conn.execute("DELETE FROM device_schedules WHERE id = ?", [.int64(id)]).rowsAffected == 1
    }
  }

  /// Enabled schedules whose cursor is at or before `now`, oldest cursor first.
  public func due(now: Int64, limit: Int = 50) async throws -> [ScheduleRecord] {
    try await database.read { conn in
      try conn.query(
        "\(Self.select) WHERE s.enabled = 1 AND s.next_run_at <= ? ORDER BY s.next_run_at, s.id \(conn.dialect.limit(limit))",
        [.int64(now)]
      ).map(ScheduleRecord.init(row:))
    }
  }

  /// The earliest cursor of an enabled schedule (when the scheduler next has something to do); nil when none.
  public func nextDueAt() async throws -> Int64? {
    try await database.read { conn in
      try conn.queryOne("SELECT MIN(next_run_at) AS next_due FROM device_schedules WHERE enabled = 1")?
        .optionalInt64("next_due")
    }
  }

  /// Claims one slot (unique `(schedule_id, planned_at)`): true for the one caller that inserted the placeholder.
  public func claim(
    scheduleId: Int64, deviceInternalId: Int64, plannedAt: Int64, now: Int64 = Timestamp.nowMillis(),
    lease: ClaimLease? = nil
  ) async throws -> Bool {
    try await insertRun(
      scheduleId: scheduleId, deviceInternalId: deviceInternalId, plannedAt: plannedAt, reason: Self.claimedReason,
      now: now, lease: lease)
  }

  /// ``claim(scheduleId:deviceInternalId:plannedAt:now:)`` and ``advance(_:from:to:lastRunAt:now:)`` (with
  /// `lastRunAt` = `now` when claimed) in ONE transaction: a failure leaves neither a claim without its cursor move
  /// nor a move without its claim, and a slot costs one write instead of two. True when this caller claimed it.
  public func claimAndAdvance(
    scheduleId: Int64, deviceInternalId: Int64, plannedAt: Int64, next: Int64?, now: Int64 = Timestamp.nowMillis(),
    lease: ClaimLease? = nil
  ) async throws -> Bool {
    try await database.write { conn in
      let claimed = try Self.insertRun(
        scheduleId: scheduleId, deviceInternalId: deviceInternalId, plannedAt: plannedAt, reason: Self.claimedReason,
        now: now, lease: lease, conn)
      try Self.advance(scheduleId, from: plannedAt, to: next, lastRunAt: claimed ? now : nil, now: now, conn)
      return claimed
    }
  }

  /// Records a slot that was not executed (`SKIPPED` with `reason`); false when the slot already has a row.
  public func recordSkipped(
    scheduleId: Int64, deviceInternalId: Int64, plannedAt: Int64, reason: String, now: Int64 = Timestamp.nowMillis()
  ) async throws -> Bool {
    try await insertRun(
      scheduleId: scheduleId, deviceInternalId: deviceInternalId, plannedAt: plannedAt, reason: reason, now: now)
  }

  private func insertRun(
    scheduleId: Int64, deviceInternalId: Int64, plannedAt: Int64, reason: String, now: Int64,
    lease: ClaimLease? = nil
  ) async throws -> Bool {
    try await database.write { conn in
      try Self.insertRun(
        scheduleId: scheduleId, deviceInternalId: deviceInternalId, plannedAt: plannedAt, reason: reason, now: now,
        lease: lease, conn)
    }
  }

  static func insertRun(
    scheduleId: Int64, deviceInternalId: Int64, plannedAt: Int64, reason: String, now: Int64, lease: ClaimLease?,
    _ conn: any SQLConnection
  ) throws -> Bool {
    try conn.execute(
      conn.dialect.insertIgnore(
        into: "schedule_runs",
        columns: [
          "schedule_id", "device_id", "planned_at", "status", "reason", "created_at", "claimed_by", "lease_until",
        ]),
      [
        .int64(scheduleId), .int64(deviceInternalId), .int64(plannedAt), .text(ScheduleRunStatus.skipped.rawValue),
        .text(reason), .text(Timestamp.iso(now)), SQLValue(lease?.holder), SQLValue(lease?.until),
      ]
    ).rowsAffected == 1
  }

  /// Extends to `until` the lease of every slot `holder` claimed and has not finished; how many.
  @discardableResult
  public func renewLeases(holder: String, until: Int64) async throws -> Int {
    try await database.write { conn in
      try conn.execute(
        "UPDATE schedule_runs SET lease_until = ? WHERE reason = '\(Self.claimedReason)' AND claimed_by = ?",
        [.int64(until), .text(holder)]
      ).rowsAffected
    }
  }

  /// Writes the outcome of a claimed slot; false when its row is gone (the schedule was deleted meanwhile).
  @discardableResult
  public func complete(scheduleId: Int64, plannedAt: Int64, _ outcome: ScheduleRunOutcome) async throws -> Bool {
    try await database.write { conn in
      try conn.execute(
        """
        UPDATE schedule_runs SET status = ?, reason = ?, error_message = ?, request_id = ?, executed_at = ?,
          ack_status = ?, acked_at = ?, ack_latency_ms = ?
        WHERE schedule_id = ? AND planned_at = ?
        """,
        [
          .text(outcome.status.rawValue), SQLValue(outcome.reason),
          SQLValue(outcome.status == .failed ? outcome.reason : nil), SQLValue(outcome.requestId),
          SQLValue(outcome.executedAt), SQLValue(outcome.ackStatus), SQLValue(outcome.ackedAt),
          SQLValue(outcome.ackLatencyMs), .int64(scheduleId), .int64(plannedAt),
        ]
      ).rowsAffected == 1
    }
  }

  /// Moves the cursor from `plannedAt` to `next` unless someone moved it past `plannedAt` already (a PATCH or
  /// another instance); a nil `next` disables the schedule. `lastRunAt` is set when given. True when it moved.
  @discardableResult
  public func advance(
    _ id: Int64, from plannedAt: Int64, to next: Int64?, lastRunAt: Int64? = nil, now: Int64 = Timestamp.nowMillis()
  ) async throws -> Bool {
    try await database.write { conn in
      try Self.advance(id, from: plannedAt, to: next, lastRunAt: lastRunAt, now: now, conn)
    }
  }

  @discardableResult
  static func advance(
    _ id: Int64, from plannedAt: Int64, to next: Int64?, lastRunAt: Int64?, now: Int64, _ conn: any SQLConnection
  ) throws -> Bool {
    try conn.execute(
      """
      UPDATE device_schedules SET next_run_at = COALESCE(?, next_run_at),
        enabled = CASE WHEN ? IS NULL THEN 0 ELSE enabled END,
        last_run_at = COALESCE(?, last_run_at), updated_at = ?
      WHERE id = ? AND next_run_at <= ?
      """,
      [SQLValue(next), SQLValue(next), SQLValue(lastRunAt), .text(Timestamp.iso(now)), .int64(id), .int64(plannedAt)]
    ).rowsAffected == 1
  }

  /// Disables a schedule; false when it did not exist.
  @discardableResult
  public func disable(_ id: Int64, now: Int64 = Timestamp.nowMillis()) async throws -> Bool {
    try await database.write { conn in
      try conn.execute(
        "UPDATE device_schedules SET enabled = 0, updated_at = ? WHERE id = ?", [.text(Timestamp.iso(now)), .int64(id)]
      ).rowsAffected == 1
    }
  }

  /// Runs of one schedule, newest planned first, `limit` (1…200) with `planned_at` below `before`.
  public func runs(scheduleId: Int64, limit: Int = 100, before: Int64? = nil) async throws -> ScheduleRunPage {
    let size = min(max(limit, 1), Self.maximumRunPageSize)
    return try await database.read { conn in
      var sql = "SELECT \(Self.runColumns) FROM schedule_runs WHERE schedule_id = ?"
      var binds: [SQLValue] = [.int64(scheduleId)]
      if let before {
        sql += " AND planned_at < ?"
        binds.append(.int64(before))
      }
      let rows = try conn.query(sql + " ORDER BY planned_at DESC \(conn.dialect.limit(size + 1))", binds)
      let items = try rows.prefix(size).map(ScheduleRunRecord.init(row:))
      return ScheduleRunPage(items: items, nextCursor: rows.count > size ? items.last?.plannedAt : nil)
    }
  }

  /// One run by its slot, or nil.
  public func run(scheduleId: Int64, plannedAt: Int64) async throws -> ScheduleRunRecord? {
    try await database.read { conn in
      try conn.queryOne(
        "SELECT \(Self.runColumns) FROM schedule_runs WHERE schedule_id = ? AND planned_at = ?",
        [.int64(scheduleId), .int64(plannedAt)]
      ).map(ScheduleRunRecord.init(row:))
    }
  }

  static func binds(_ f: ScheduleFields) -> [SQLValue] {
    [
      .text(f.action), .text(f.cron), .text(f.timezone), .int64(f.enabled ? 1 : 0), .int64(f.nextRunAt),
      SQLValue(f.startAt), SQLValue(f.endAt), SQLValue(f.windowGroupId), SQLValue(f.windowStart.map(Int64.init)),
      SQLValue(f.windowEnd.map(Int64.init)), SQLValue(f.windowInterval.map(Int64.init)),
      .int64(Int64(f.misfireGraceSec)),
    ]
  }

  static func fetch(_ id: Int64, _ conn: any SQLConnection) throws -> ScheduleRecord? {
    try conn.queryOne("\(select) WHERE s.id = ?", [.int64(id)]).map(ScheduleRecord.init(row:))
  }
}
