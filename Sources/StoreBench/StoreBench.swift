/// The store's hot operations on SQLite and on MariaDB in one run, printed side by side (issue #9 figures):
/// the command path's one write before publishing (idempotency claim + rate-limit hit), its write after (audit row
/// + outcome), a point read (user by id), and a per-second schedule slot claim, each by `--concurrency` tasks.
///
///     StoreBench --mariadb mariadb://user:pass@127.0.0.1:3306/db [--operations 2000] [--concurrency 8]
///
/// scripts/bench-store.sh builds it in release mode, starts a private MariaDB and runs it.
import Foundation
import SmartLampCore
import SmartLampStore

@main
struct StoreBench {
  static func main() async throws {
    var mariadbURL: String?
    var operations = 2000
    var concurrency = 8
    var iterator = CommandLine.arguments.dropFirst().makeIterator()
    while let key = iterator.next() {
      guard let value = iterator.next() else { return usage() }
      switch key {
      case "--mariadb": mariadbURL = value
      case "--operations": operations = Int(value) ?? operations
      case "--concurrency": concurrency = Int(value) ?? concurrency
      default: return usage()
      }
    }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("storebench-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var engines: [(String, Store)] = [("SQLite", try await Store.openSQLite(path: folder + "/bench.sqlite"))]
    if let mariadbURL { engines.append(("MariaDB", try await Store.openMariaDB(try configuration(mariadbURL)))) }

    var table: [String: [String: Double]] = [:]
    for (name, store) in engines {
      for (operation, rate) in try await measure(store, operations: operations, concurrency: concurrency) {
        table[operation, default: [:]][name] = rate
      }
      try await store.database.close()
    }
    print("store operations per second (\(operations) each, \(concurrency) concurrent tasks)")
    let names = engines.map(\.0)
    print("| operation | " + names.joined(separator: " | ") + " |")
    print("|---|" + names.map { _ in "---:|" }.joined())
    for operation in [
      "claim+hit (command write 1)", "audit+outcome (command write 2)", "user by id (read)", "schedule slot claim",
    ] {
      let cells = names.map { table[operation]?[$0].map { String(format: "%.0f", $0) } ?? "-" }
      print("| \(operation) | " + cells.joined(separator: " | ") + " |")
    }
  }

  static func usage() {
    print("StoreBench [--mariadb mariadb://user:pass@host:port/db] [--operations N] [--concurrency N]")
  }

  static func configuration(_ url: String) throws -> MariaDBConfiguration {
    guard let components = URLComponents(string: url), let host = components.host, let user = components.user else {
      throw CocoaError(.fileReadInvalidFileName)
    }
    return MariaDBConfiguration(
      endpoint: .tcp(host: host, port: components.port ?? 3306), user: user, password: components.password ?? "",
      database: String(components.path.dropFirst()))
  }

  /// Operations per second of each kind.
  static func measure(_ store: Store, operations: Int, concurrency: Int) async throws -> [(String, Double)] {
    let run = UUID().uuidString.prefix(8)
    let user = try await store.users.create(
      NewUser(name: "Bench", email: "bench-\(run)@example.com", passwordHash: "x", role: .admin))
    let device = try await store.devices.create(NewDevice(deviceId: try DeviceID("bench-\(run)"), name: "Bench"))
    let schedule = try await store.schedules.create(
      userId: user.id, createdBy: user.id, deviceId: device.deviceId,
      ScheduleFields(action: "ON", cron: "* * * * * *", timezone: "UTC", nextRunAt: 0))
    let limit = FixedWindowLimit(limit: 1_000_000, windowMs: 60_000)
    var results: [(String, Double)] = []
    results.append(
      (
        "claim+hit (command write 1)",
        try await rate(operations, concurrency) { index in
          let claim = IdempotencyClaim(
            principal: "user:\(user.id)", key: "\(run)-\(index)", method: "POST", path: "/api/v1/commands/execute",
            requestHash: "h")
          _ = try await store.idempotency.claim(claim) { conn in
            try RateLimitRepository.hit("cmd:bench:\(index % 4)", limit: limit, now: Timestamp.nowMillis(), on: conn)
          }
        }
      ))
    results.append(
      (
        "audit+outcome (command write 2)",
        try await rate(operations, concurrency) { index in
          let claim = IdempotencyClaim(
            principal: "user:\(user.id)", key: "\(run)-\(index)", method: "POST", path: "/api/v1/commands/execute",
            requestHash: "h")
          let now = Timestamp.nowMillis()
          let log = NewCommandLog(
            requestId: "\(run)-\(index)", deviceInternalId: device.id, deviceId: device.deviceId, channel: .power,
            action: .on, origin: .user, userId: user.id, issuedAt: now, expiresAt: now + 30_000)
          _ = try await store.idempotency.complete(claim, statusCode: 200, responseBody: "{\"ok\":true}") { conn in
            try CommandLogRepository.insert(log, now: now, conn)
          }
        }
      ))
    results.append(
      (
        "user by id (read)",
        try await rate(operations, concurrency) { _ in _ = try await store.users.byId(user.id) }
      ))
    results.append(
      (
        "schedule slot claim",
        try await rate(operations, concurrency) { index in
          _ = try await store.schedules.claim(
            scheduleId: schedule.id, deviceInternalId: device.id, plannedAt: Int64(index) * 1000, now: 0)
        }
      ))
    return results
  }

  static func rate(
    _ operations: Int, _ concurrency: Int, _ body: @escaping @Sendable (Int) async throws -> Void
  ) async throws -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
      for worker in 0..<concurrency {
        group.addTask {
          var index = worker
          while index < operations {
            try await body(index)
            index += concurrency
          }
        }
      }
      try await group.waitForAll()
    }
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return Double(operations) / seconds
  }
}
