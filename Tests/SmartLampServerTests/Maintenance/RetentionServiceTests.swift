import Foundation
import Logging
import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

@testable import SmartLampServer

/// The retention settings, the service's policy, and a running server whose old rows disappear.
@Suite struct RetentionServiceTests {
  static let day: Int64 = 86_400_000

  @Test func settingsDefaultValidateAndNameThemselves() throws {
    let defaults = try ConfigurationLoader(environment: [:], dotEnvFile: nil).load()
    #expect(defaults.retentionCommandsDays == 90)
    #expect(defaults.retentionScheduleRunsDays == 30)
    let set = try ConfigurationLoader(
      environment: ["SMARTLAMP_RETENTION_COMMANDS_DAYS": "0", "SMARTLAMP_RETENTION_SCHEDULE_RUNS_DAYS": "7"],
      dotEnvFile: nil
    ).load()
    #expect(set.retentionCommandsDays == 0)
    #expect(set.retentionScheduleRunsDays == 7)
    for (variable, setting, value) in [
      ("SMARTLAMP_RETENTION_COMMANDS_DAYS", "retention.commands-days", "-1"),
      ("SMARTLAMP_RETENTION_SCHEDULE_RUNS_DAYS", "retention.schedule-runs-days", "forever"),
      ("SMARTLAMP_RETENTION_SCHEDULE_RUNS_DAYS", "retention.schedule-runs-days", "36501"),
    ] {
      let error = #expect(throws: ConfigurationError.self) {
        try ConfigurationLoader(environment: [variable: value], dotEnvFile: nil).load()
      }
      #expect(error?.setting == setting)
      #expect(error?.description.contains(setting) == true)
    }
  }

  @Test func theServiceRunsOnlyWhenSomethingIsPruned() async throws {
    let server = TestServer()
    let database = try await StoreBootstrap.open(configuration: server.configuration, logger: Logger.quiet())
    var configuration = server.configuration
    let built = RetentionService.services(configuration: configuration, database: database, logger: Logger.quiet())
    #expect((built.first as? RetentionService)?.policy == .init(commandsDays: 90, scheduleRunsDays: 30))
    configuration.retentionCommandsDays = 0
    configuration.retentionScheduleRunsDays = 0
    #expect(
      RetentionService.services(configuration: configuration, database: database, logger: Logger.quiet()).isEmpty)
    try await database.close()
  }

  @Test func aTableKeptForeverIsNotTouched() async throws {
    let server = TestServer()
    let database = try await StoreBootstrap.open(configuration: server.configuration, logger: Logger.quiet())
    let store = Store(database: database)
    let now = Timestamp.nowMillis()
    let fixture = try await Fixture.make(store, now: now)
    let service = RetentionService(
      store: store, policy: .init(commandsDays: 0, scheduleRunsDays: 30), logger: Logger.quiet())
    let pruned = await service.pruneOnce()
    #expect(pruned.commands == nil)
    #expect(pruned.scheduleRuns == BatchDeletion(rows: fixture.oldRuns, batches: 1))
    #expect(try await store.commandLogs.page(limit: 200).items.count == fixture.logs.count)
    try await database.close()
  }

  /// Rows of every age: audit rows 100 days old (deleted at 90), 10 days old and fresh (kept), interleaved by id;
  /// runs 40 days old (deleted at 30) and 5 days old (kept).
  struct Fixture {
    /// Request ids in insertion (id) order, with whether retention keeps them.
    var logs: [(requestId: String, kept: Bool)] = []
    var oldRuns = 0
    var keptRuns = 0
    var scheduleId: Int64 = 0

    static func make(_ store: Store, now: Int64) async throws -> Fixture {
      var fixture = Fixture()
      var found = try await store.users.byEmail(LampEnv.adminEmail)
      if found == nil {
        found = try await store.users.create(
          NewUser(name: "A", email: LampEnv.adminEmail, passwordHash: "x", role: .admin))
      }
      let owner = try #require(found)
      let device = try await store.devices.create(
        NewDevice(deviceId: try DeviceID("lamp-r"), name: "R", commandChannel: .power))
      for (index, age) in [10, 100, 0, 100, 10, 100, 0, 0].map({ Int64($0) }).enumerated() {
        let issued = now - age * RetentionServiceTests.day - Int64(index)
        let requestId = "r\(index)-\(age)d"
        _ = try await store.commandLogs.insert(
          NewCommandLog(
            requestId: requestId, deviceInternalId: device.id, deviceId: "lamp-r", channel: .power, action: .on,
            origin: .user, userId: owner.id, issuedAt: issued, expiresAt: issued + 3_000, status: .acked,
            ackedAt: issued + 10, ackLatencyMs: 10),
          now: issued)
        fixture.logs.append((requestId, age < 90))
      }
      let schedule = try await store.schedules.create(
        userId: owner.id, createdBy: owner.id, deviceId: "lamp-r",
        ScheduleFields(action: "ON", cron: "0 0 * * *", timezone: "UTC", enabled: false, nextRunAt: now))
      fixture.scheduleId = schedule.id
      for (index, age) in [40, 5, 40, 40, 5].map({ Int64($0) }).enumerated() {
        _ = try await store.schedules.recordSkipped(
          scheduleId: schedule.id, deviceInternalId: device.id,
          plannedAt: now - age * RetentionServiceTests.day + Int64(index),
          reason: "MISSED")
        if age > 30 { fixture.oldRuns += 1 } else { fixture.keptRuns += 1 }
      }
      return fixture
    }
  }

  @Test func oldRowsDisappearFromARunningServerAndTheLogStillPages() async throws {
    let directory = TemporaryDirectory(prefix: "smartlamp-retention")
    let path = directory.file("smartlamp.sqlite")
    try await LampEnv.with({ configuration in
      configuration.database = .sqlite(path: path)
      configuration.databaseURL = "sqlite://" + path
      configuration.retentionCommandsDays = 90
      configuration.retentionScheduleRunsDays = 30
    }) { env in
      // The server's own file, through a second connection pool, as the CLI would.
      let database = try SQLiteDatabase(path: path)
      let store = Store(database: database)
      let fixture = try await Fixture.make(store, now: Timestamp.nowMillis())
      #expect(try await env.call(.get, "/api/v1/commands?limit=200").data?["items"]?.lampArray?.count == 8)

      // As the server wires it, but every 50 ms and in batches of 2 (several transactions per table).
      var service = RetentionService(
        store: store, policy: .init(commandsDays: 90, scheduleRunsDays: 30), logger: Logger.quiet())
      service.initialDelay = .zero
      service.interval = .milliseconds(50)
      service.batchSize = 2
      let running = Task { [service] in try await service.run() }
      defer { running.cancel() }
      let kept = fixture.logs.filter(\.kept).map(\.requestId)
      try await poll("old rows deleted", timeout: .seconds(20)) {
        let logs = try await store.commandLogs.page(limit: 200).items.count
        let runs = try await store.schedules.runs(scheduleId: fixture.scheduleId, limit: 200).items.count
        return logs == kept.count && runs == fixture.keptRuns
      }
      running.cancel()
      try await running.value

      // Newest first, two per page, across the gaps the deleted rows left.
      var seen: [String] = []
      var cursor: String?
      for _ in 0..<5 {
        let page = try await env.call(.get, "/api/v1/commands?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""))
        #expect(page.status == 200)
        seen += (page.data?["items"]?.lampArray ?? []).compactMap { $0["requestId"]?.string }
        cursor = page.data?["nextCursor"]?.string
        if cursor == nil { break }
      }
      #expect(seen == Array(kept.reversed()))
      let runs = try await env.call(.get, "/api/v1/schedules/\(fixture.scheduleId)/runs")
      #expect(runs.status == 200)
      try await database.close()
    }
  }
}
