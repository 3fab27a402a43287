import SmartLampCore

/// A `user_devices` row with the device's public id.
public struct AssignmentRecord: Sendable, Hashable {
  public var userId: Int64
  public var deviceInternalId: Int64
  public var deviceId: String
  /// `owner` (creator / legacy) or `member` (assigned by an admin).
  public var role: String
  public var grant: DeviceGrant
  public var assignedByUserId: Int64?
  public var createdAt: String
  public var updatedAt: String?

  init(row: SQLRow) throws {
    userId = try row.int64("user_id")
    deviceInternalId = try row.int64("device_internal_id")
    deviceId = try row.string("device_public_id")
    role = try row.string("role")
    grant = AssignmentRepository.grant(
      role: role, device: try row.string("device_permission"), schedule: try row.string("schedule_permission"))
    assignedByUserId = try row.optionalInt64("assigned_by_user_id")
    createdAt = try row.string("created_at")
    updatedAt = try row.optionalString("updated_at")
  }
}

/// A device with the grant one user holds on it (nil when unassigned).
public struct DeviceWithGrant: Sendable, Hashable {
  public var device: DeviceRecord
  public var grant: DeviceGrant?
}

/// One entry of a replace-all request.
public struct AssignmentInput: Sendable, Hashable {
  public var deviceId: String
  public var grant: DeviceGrant

  public init(deviceId: String, grant: DeviceGrant) {
    self.deviceId = deviceId
    self.grant = grant
  }
}

/// Which member may do what with which device.
public struct AssignmentRepository: Sendable {
  public let database: any SQLDatabase

  public init(database: any SQLDatabase) { self.database = database }

  static let select = """
    SELECT ud.user_id, ud.device_id AS device_internal_id, d.device_id AS device_public_id, ud.role,
      ud.device_permission, ud.schedule_permission, ud.assigned_by_user_id, ud.created_at, ud.updated_at
    FROM user_devices ud JOIN devices d ON d.id = ud.device_id
    """

  /// The user's assignments, in device creation order.
  public func listForUser(_ userId: Int64) async throws -> [AssignmentRecord] {
    try await database.read { conn in
      try conn.query("\(Self.select) WHERE ud.user_id = ? ORDER BY d.id", [.int64(userId)])
        .map(AssignmentRecord.init(row:))
    }
  }

  /// Public device id → grant, for filtering lists and streams.
  public func grantsForUser(_ userId: Int64) async throws -> [String: DeviceGrant] {
    var grants: [String: DeviceGrant] = [:]
    for record in try await listForUser(userId) { grants[record.deviceId] = record.grant }
    return grants
  }

  /// Internal device id → grant, for lamp control's visibility checks.
  public func grantsByDeviceInternalId(_ userId: Int64) async throws -> [Int64: DeviceGrant] {
    var grants: [Int64: DeviceGrant] = [:]
    for record in try await listForUser(userId) { grants[record.deviceInternalId] = record.grant }
    return grants
  }

  /// Every device in creation order, each with the grant `userId` holds on it (nil for unassigned devices, and
  /// for every device when `userId` is nil).
  public func devices(withGrantOf userId: Int64?) async throws -> [DeviceWithGrant] {
    try await database.read { conn in
      try conn.query(
        """
        SELECT \(DeviceRepository.columns(prefix: "d.")), ud.role AS grant_role, ud.device_permission,
          ud.schedule_permission, ud.user_id AS assigned_user
        FROM devices d LEFT JOIN user_devices ud ON ud.device_id = d.id AND ud.user_id = ?
        ORDER BY d.id
        """, [.int64(userId ?? -1)]
      ).map { row in
        var grant: DeviceGrant?
        if try row.optionalInt64("assigned_user") != nil {
          grant = Self.grant(
            role: try row.optionalString("grant_role") ?? "", device: try row.optionalString("device_permission") ?? "",
            schedule: try row.optionalString("schedule_permission") ?? "")
        }
        return DeviceWithGrant(device: try DeviceRecord(row: row), grant: grant)
      }
    }
  }

  /// The grant `userId` holds on the device with this public id, or nil.
  public func grant(userId: Int64, deviceId: String) async throws -> DeviceGrant? {
    try await database.read { conn in
      try conn.queryOne("\(Self.select) WHERE ud.user_id = ? AND d.device_id = ?", [.int64(userId), .text(deviceId)])
        .map(AssignmentRecord.init(row:))?.grant
    }
  }

  /// The grant `userId` holds on the device with this internal id, or nil.
  public func grant(userId: Int64, deviceInternalId: Int64) async throws -> DeviceGrant? {
    try await database.read { conn in
      try conn.queryOne(
        "\(Self.select) WHERE ud.user_id = ? AND ud.device_id = ?", [.int64(userId), .int64(deviceInternalId)]
      )
      .map(AssignmentRecord.init(row:))?.grant
    }
  }

  /// Sets one assignment (insert or overwrite).
  public func assign(
    userId: Int64, deviceId: String, grant: DeviceGrant, by actor: Int64?, now: Int64 = Timestamp.nowMillis()
  ) async throws {
    guard grant.isValid else { throw StoreError.invalidGrant(deviceId: deviceId) }
    try await database.write { conn in
      guard try UserRepository.fetch(userId, conn) != nil else { throw StoreError.userNotFound(userId) }
      guard let device = try DeviceRepository.fetch(publicId: deviceId, conn) else {
        throw StoreError.deviceNotFound(deviceId)
      }
      let iso = Timestamp.iso(now)
      try conn.execute(
        conn.dialect.upsert(
          into: "user_devices",
          columns: [
            "user_id", "device_id", "role", "device_permission", "schedule_permission", "assigned_by_user_id",
            "created_at", "updated_at",
          ],
          conflictColumns: ["user_id", "device_id"],
          updateColumns: ["role", "device_permission", "schedule_permission", "assigned_by_user_id", "updated_at"]),
        [
          .int64(userId), .int64(device.id), "member", .text(grant.devicePermission.rawValue),
          .text(grant.schedulePermission.rawValue), SQLValue(actor), .text(iso), .text(iso),
        ])
    }
  }

  /// Replaces all of a member's assignments in one transaction; the checks run in this order and any failure
  /// refuses the whole request with nothing changed: the user exists (`userNotFound`), is a member
  /// (`notAMember`), is not archived (`userArchived`); then per entry in order: not named twice
  /// (`duplicateAssignment`), the device exists (`deviceNotFound`), a valid combination (`invalidGrant`). The
  /// user's schedules on devices they may no longer manage schedules of are disabled in the same transaction.
  /// Returns the new assignments in device order.
  public func replaceAll(
    userId: Int64, with entries: [AssignmentInput], by actor: Int64?, now: Int64 = Timestamp.nowMillis()
  ) async throws -> [AssignmentRecord] {
    try await database.write { conn in
      guard let user = try UserRepository.fetch(userId, conn) else { throw StoreError.userNotFound(userId) }
      guard user.role == .member else { throw StoreError.notAMember(userId) }
      guard !user.isArchived else { throw StoreError.userArchived(userId) }
      var seen: Set<String> = []
      var resolved: [(Int64, DeviceGrant)] = []
      for entry in entries {
        guard seen.insert(entry.deviceId).inserted else {
          throw StoreError.duplicateAssignment(deviceId: entry.deviceId)
        }
        guard let device = try DeviceRepository.fetch(publicId: entry.deviceId, conn) else {
          throw StoreError.deviceNotFound(entry.deviceId)
        }
        guard entry.grant.isValid else { throw StoreError.invalidGrant(deviceId: entry.deviceId) }
        resolved.append((device.id, entry.grant))
      }
      let iso = Timestamp.iso(now)
      try conn.execute("DELETE FROM user_devices WHERE user_id = ?", [.int64(userId)])
      for (deviceId, grant) in resolved {
        try conn.execute(
          """
          INSERT INTO user_devices (user_id, device_id, role, device_permission, schedule_permission,
            assigned_by_user_id, created_at, updated_at) VALUES (?, ?, 'member', ?, ?, ?, ?, ?)
          """,
          [
            .int64(userId), .int64(deviceId), .text(grant.devicePermission.rawValue),
            .text(grant.schedulePermission.rawValue), SQLValue(actor), .text(iso), .text(iso),
          ])
      }
      try conn.execute(
        """
        UPDATE device_schedules SET enabled = 0, updated_at = ?
        WHERE user_id = ? AND enabled <> 0 AND device_id NOT IN (
          SELECT device_id FROM user_devices WHERE user_id = ? AND schedule_permission = 'manage'
            AND device_permission IN ('control', 'manage'))
        """, [.text(iso), .int64(userId), .int64(userId)])
      return try conn.query("\(Self.select) WHERE ud.user_id = ? ORDER BY d.id", [.int64(userId)])
        .map(AssignmentRecord.init(row:))
    }
  }

  /// Reads stored permission text the way upstream's self-healing does: owners hold manage/manage; unknown
  /// values fall back to the defaults; an invalid combination loses its schedule manage right.
  static func grant(role: String, device: String, schedule: String) -> DeviceGrant {
    if role == "owner" { return .full }
    let devicePermission = DevicePermission(rawValue: device) ?? .monitoring
    var schedulePermission = SchedulePermission(rawValue: schedule) ?? .none
    if !DeviceGrant.isValidCombination(devicePermission, schedulePermission) { schedulePermission = .monitoring }
    return DeviceGrant(devicePermission: devicePermission, schedulePermission: schedulePermission)
  }
}
