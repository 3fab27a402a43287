/// The scheduler at a glance (the administrator's system page): what is enabled, what runs next, what ran last.
public struct SchedulerOverview: Sendable, Hashable {
  public var enabledSchedules: Int
  /// Epoch ms of the earliest next run of an enabled schedule; nil when none is enabled.
  public var nextDueAt: Int64?
  /// The most recently planned run that was executed: when, and its status.
  public var lastRunAt: Int64?
  public var lastRunStatus: String?
}

extension ScheduleRepository {
  public func overview() async throws -> SchedulerOverview {
    try await database.read { conn in
      let due = try conn.queryOne(
        """
        SELECT COUNT(*) AS enabled, MIN(next_run_at) AS next_due FROM device_schedules WHERE enabled = 1
        """)
      // By the planned-time index, newest first: stops at the first executed run.
      let last = try conn.queryOne(
        """
        SELECT executed_at, status FROM schedule_runs WHERE executed_at IS NOT NULL
        ORDER BY planned_at DESC \(conn.dialect.limit(1))
        """)
      return SchedulerOverview(
        enabledSchedules: try due?.int("enabled") ?? 0, nextDueAt: try due?.optionalInt64("next_due"),
        lastRunAt: try last?.optionalInt64("executed_at"), lastRunStatus: try last?.optionalString("status"))
    }
  }
}
