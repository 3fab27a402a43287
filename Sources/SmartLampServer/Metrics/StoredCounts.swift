import SmartLampStore

/// Row counts read from the database at scrape time: the command audit log and the scheduler's run history, which
/// every instance on the same database shares. Retention prunes both tables, so these are gauges of what is kept,
/// not counters.
struct StoredCounts: Sendable {
  /// By (origin, current status).
  var commands: [[String]: Double] = [:]
  /// By run status.
  var scheduleRuns: [String: Double] = [:]

  static func read(_ database: any SQLDatabase) async throws -> StoredCounts {
    try await database.read { connection in
      var counts = StoredCounts()
      for origin in CommandOrigin.allCases {
        for status in CommandStatus.allCases { counts.commands[[origin.rawValue, status.rawValue]] = 0 }
      }
      for status in ScheduleRunStatus.allCases { counts.scheduleRuns[status.rawValue] = 0 }
      let commandRows = try connection.query(
        "SELECT origin, result, COUNT(*) AS n FROM command_logs GROUP BY origin, result")
      for row in commandRows {
        // Stored text from older systems maps onto the known sets, so label values stay bounded.
        let origin = CommandOrigin(rawValue: try row.optionalString("origin") ?? "")?.rawValue ?? "other"
        let status = CommandStatus(storedValue: try row.optionalString("result") ?? "")
        let n = Double(try row.int64("n"))
        counts.commands[[origin, status.rawValue], default: 0] += n
      }
      let runRows = try connection.query("SELECT status, COUNT(*) AS n FROM schedule_runs GROUP BY status")
      for row in runRows {
        let status = ScheduleRunStatus(rawValue: try row.optionalString("status") ?? "")?.rawValue ?? "other"
        counts.scheduleRuns[status, default: 0] += Double(try row.int64("n"))
      }
      return counts
    }
  }
}
