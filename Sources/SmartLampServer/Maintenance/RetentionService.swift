import Logging
import ServiceLifecycle
import SmartLampStore

/// Keeps the command audit log and the schedule run history from growing forever (a per-second schedule adds
/// 86 400 rows a day to each): shortly after start, then hourly, deletes rows older than `retention.commands-days`
/// (the lamps' device-side history with them) and `retention.schedule-runs-days`, in batches so a first prune of
/// millions of rows never blocks other writers for long. A table with retention 0 is never pruned; with both 0 the
/// service is not started.
struct RetentionService: Service {
  /// Days each table is kept; 0 keeps it forever.
  struct Policy: Sendable, Equatable {
    var commandsDays: Int
    var scheduleRunsDays: Int

    init(commandsDays: Int, scheduleRunsDays: Int) {
      self.commandsDays = commandsDays
      self.scheduleRunsDays = scheduleRunsDays
    }

    init(_ configuration: Configuration) {
      self.init(
        commandsDays: configuration.retentionCommandsDays, scheduleRunsDays: configuration.retentionScheduleRunsDays)
    }

    var prunesAnything: Bool { commandsDays > 0 || scheduleRunsDays > 0 }
  }

  /// What one prune deleted; nil for a table kept forever.
  struct Pruned: Sendable, Equatable {
    var commands: BatchDeletion?
    var scheduleRuns: BatchDeletion?
    /// Device-side lamp history, kept as long as the command log it is shown with.
    var deviceHistory: BatchDeletion?

    var rows: Int { (commands?.rows ?? 0) + (scheduleRuns?.rows ?? 0) + (deviceHistory?.rows ?? 0) }
    var batches: Int { (commands?.batches ?? 0) + (scheduleRuns?.batches ?? 0) + (deviceHistory?.batches ?? 0) }
  }

  static let dayMillis: Int64 = 86_400_000

  let store: Store
  let policy: Policy
  /// Not at once: start-up (migrations, broker, first scheduler ticks) goes first.
  var initialDelay: Duration = .seconds(30)
  var interval: Duration = .seconds(3600)
  var batchSize = CommandLogRepository.defaultDeletionBatchSize
  /// Epoch milliseconds; injected by tests.
  var clock: @Sendable () -> Int64 = { Timestamp.nowMillis() }
  let logger: Logger

  init(store: Store, policy: Policy, logger: Logger) {
    self.store = store
    self.policy = policy
    var logger = logger
    logger[metadataKey: "component"] = "retention"
    self.logger = logger
  }

  /// The service for `configuration`, or none when it keeps everything forever (a service that returned at once
  /// would end the whole ServiceGroup).
  static func services(configuration: Configuration, database: any SQLDatabase, logger: Logger) -> [any Service] {
    let policy = Policy(configuration)
    guard policy.prunesAnything else { return [] }
    return [RetentionService(store: Store(database: database), policy: policy, logger: logger)]
  }

  func run() async throws {
    var delay = initialDelay
    while !Task.isCancelled && !Task.isShuttingDownGracefully {
      do {
        try await cancelWhenGracefulShutdown { [delay] in try await Task.sleep(for: delay) }
      } catch {
        return
      }
      await pruneOnce()
      delay = interval
    }
  }

  /// Deletes what is past retention at the clock's now; logs at info only when something was deleted.
  @discardableResult
  func pruneOnce() async -> Pruned {
    let now = clock()
    var pruned = Pruned()
    if policy.commandsDays > 0 {
      let cutoff = now - Int64(policy.commandsDays) * Self.dayMillis
      pruned.commands = await attempt("command log") {
        try await store.commandLogs.deleteIssued(before: cutoff, batchSize: batchSize)
      }
      pruned.deviceHistory = await attempt("device history") {
        try await store.deviceHistory.deleteOccurred(before: cutoff, batchSize: batchSize)
      }
    }
    if policy.scheduleRunsDays > 0 {
      let cutoff = now - Int64(policy.scheduleRunsDays) * Self.dayMillis
      pruned.scheduleRuns = await attempt("schedule runs") {
        try await store.schedules.deleteRuns(plannedBefore: cutoff, batchSize: batchSize)
      }
    }
    if pruned.rows > 0 {
      logger.info(
        "deleted rows past retention",
        metadata: [
          "commandLogs": "\(pruned.commands?.rows ?? 0)", "scheduleRuns": "\(pruned.scheduleRuns?.rows ?? 0)",
          "deviceHistory": "\(pruned.deviceHistory?.rows ?? 0)",
          "batches": "\(pruned.batches)",
        ])
    }
    return pruned
  }

  /// One table's prune; a failure is logged and counts as nothing deleted (the next prune tries again).
  private func attempt(_ what: String, _ body: () async throws -> BatchDeletion) async -> BatchDeletion {
    do {
      return try await body()
    } catch {
      logger.warning("retention prune failed", metadata: ["table": "\(what)", "error": "\(error)"])
      return BatchDeletion()
    }
  }
}
