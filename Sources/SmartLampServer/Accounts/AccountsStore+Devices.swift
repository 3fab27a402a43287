import SmartLampCore
import SmartLampStore

/// A device as accounts routes need it, with the grant a given user holds on it (nil when unassigned).
struct DeviceWithGrant: Sendable {
  var internalId: Int64
  var deviceId: String
  var name: String
  var location: String?
  var commandChannel: String
  var assignment: DeviceGrant?
}

// MARK: devices and assignments
extension AccountsStore {
  /// Every device, ordered by internal id, with `userId`'s assignment (upstream-spec §5.3, §5.9).
  static func devices(withAssignmentOf userId: Int64?, in conn: any SQLConnection) throws -> [DeviceWithGrant] {
    try conn.query(
      """
      SELECT d.id, d.device_id, d.name, d.location, d.command_channel, ud.device_permission, ud.schedule_permission,
        ud.user_id AS assigned_user
      FROM devices d LEFT JOIN user_devices ud ON ud.device_id = d.id AND ud.user_id = ?
      ORDER BY d.id
      """, [.int64(userId ?? -1)]
    ).map { row in
      var grant: DeviceGrant?
      if try row.optionalInt64("assigned_user") != nil {
        grant = DeviceGrant(
          devicePermission: DevicePermission(rawValue: try row.optionalString("device_permission") ?? "")
            ?? .monitoring,
          schedulePermission: SchedulePermission(rawValue: try row.optionalString("schedule_permission") ?? "")
            ?? .none)
        // An invalid stored combination is read as its valid part (upstream's runtime back-fill did the same).
        if let g = grant, !g.isValid { grant?.schedulePermission = .monitoring }
      }
      let channel = try row.optionalString("command_channel") ?? ""
      return DeviceWithGrant(
        internalId: try row.int64("id"), deviceId: try row.string("device_id"), name: try row.string("name"),
        location: try row.optionalString("location"), commandChannel: channel.isEmpty ? "POWER" : channel,
        assignment: grant)
    }
  }

  /// Replaces all of a member's assignments and pauses the schedules they no longer may manage. Run it inside a
  /// write transaction: it is several statements that must land together.
  static func replaceAssignments(
    userId: Int64, with entries: [(internalId: Int64, grant: DeviceGrant)], assignedBy: Int64,
    in conn: any SQLConnection
  ) throws {
    let now = StoreTime.nowISO()
    try conn.execute("DELETE FROM user_devices WHERE user_id = ?", [.int64(userId)])
    for entry in entries {
      try conn.execute(
        """
        INSERT INTO user_devices (user_id, device_id, role, device_permission, schedule_permission,
          assigned_by_user_id, created_at, updated_at)
        VALUES (?, ?, 'member', ?, ?, ?, ?, ?)
        """,
        [
          .int64(userId), .int64(entry.internalId), .text(entry.grant.devicePermission.rawValue),
          .text(entry.grant.schedulePermission.rawValue), .int64(assignedBy), .text(now), .text(now),
        ])
    }
    try conn.execute(
      """
      UPDATE device_schedules SET enabled = 0, updated_at = ?
      WHERE user_id = ? AND enabled <> 0 AND device_id NOT IN (
        SELECT device_id FROM user_devices WHERE user_id = ? AND device_permission IN ('control', 'manage')
          AND schedule_permission = 'manage')
      """, [.text(now), .int64(userId), .int64(userId)])
  }
}
