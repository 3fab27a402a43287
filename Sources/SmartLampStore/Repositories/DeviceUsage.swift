/// What a device's deletion takes with it (the administrator's delete dialog names it before the click).
public struct DeviceUsage: Sendable, Hashable, Encodable {
  /// Schedules on the device (deleted with it), and how many of them are enabled.
  public var schedules: Int
  public var enabledSchedules: Int
  /// Their recorded runs (deleted).
  public var scheduleRuns: Int
  /// Power changes made on the device itself (deleted).
  public var deviceHistory: Int
  /// Command log rows (kept: the audit log outlives the device, shown by its public id).
  public var commandLogs: Int
  /// Family members' assignments to it (deleted).
  public var assignments: Int
}

extension DeviceRepository {
  /// Counts the rows tied to the device with this internal id, in one read.
  public func usage(internalId: Int64) async throws -> DeviceUsage {
    try await database.read { conn in
      let row = try conn.queryOne(
        """
        SELECT
          (SELECT COUNT(*) FROM device_schedules WHERE device_id = ?) AS schedules,
          (SELECT COUNT(*) FROM device_schedules WHERE device_id = ? AND enabled = 1) AS enabled_schedules,
          (SELECT COUNT(*) FROM schedule_runs WHERE device_id = ?) AS schedule_runs,
          (SELECT COUNT(*) FROM device_history WHERE device_id = ?) AS device_history,
          (SELECT COUNT(*) FROM command_logs WHERE device_id = ?) AS command_logs,
          (SELECT COUNT(*) FROM user_devices WHERE device_id = ?) AS assignments
        """, Array(repeating: .int64(internalId), count: 6))
      guard let row else { throw SQLError.engine(code: 0, message: "COUNT returned no row") }
      return DeviceUsage(
        schedules: try row.int("schedules"), enabledSchedules: try row.int("enabled_schedules"),
        scheduleRuns: try row.int("schedule_runs"), deviceHistory: try row.int("device_history"),
        commandLogs: try row.int("command_logs"), assignments: try row.int("assignments"))
    }
  }
}
