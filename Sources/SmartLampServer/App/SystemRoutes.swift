import Foundation
import Hummingbird
import SmartLampCore
import SmartLampStore

/// `GET /api/v1/system` (issue #8 item 6, administrators): the state of the server on one page — readiness of the
/// database and the broker (refused subscriptions named), version and uptime, devices known and online, open
/// realtime streams, this process's command outcomes and acknowledgement latency, and the scheduler.
struct SystemRoutes: Sendable {
  let services: AppServices

  func add(to api: RouterGroup<AuthenticatedContext>) {
    api.get("system", use: show)
  }

  struct Overview: Encodable, Sendable {
    struct Database: Encodable, Sendable {
      let ready: Bool
      let dialect: String
      @NullEncoded var problem: String?
    }

    struct Broker: Encodable, Sendable {
      let ready: Bool
      let connected: Bool
      @NullEncoded var problem: String?
      let refusedSubscriptions: [String]
    }

    struct Devices: Encodable, Sendable {
      let known: Int
      let online: Int
      let offline: Int
      let unknown: Int
    }

    struct Realtime: Encodable, Sendable {
      let openStreams: Int
    }

    struct Latency: Encodable, Sendable {
      let count: Int
      @NullEncoded var p50: Int64?
      @NullEncoded var p95: Int64?
    }

    struct Commands: Encodable, Sendable {
      /// Counts are this process's, since it started.
      let since: Int64
      let outcomes: [String: Int]
      let ackLatencyMs: Latency
    }

    struct Scheduler: Encodable, Sendable {
      let enabled: Bool
      let enabledSchedules: Int
      @NullEncoded var nextDueAt: Int64?
      @NullEncoded var lastRunAt: Int64?
      @NullEncoded var lastRunStatus: String?
    }

    let version: String
    let startedAt: Int64
    let uptimeSec: Int64
    let database: Database
    let broker: Broker
    let devices: Devices
    let realtime: Realtime
    let commands: Commands
    @NullEncoded var scheduler: Scheduler?
    let openapiUrl: String
  }

  static let outcomeNames = ["ACKED", "TIMEOUT", "REFUSED"]

  func show(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.readSystem)
    let lamps = services.lamps
    let uptime = ContinuousClock.now - services.metrics.started
    let uptimeMs = uptime.wholeMilliseconds
    let startedAt = Timestamp.nowMillis() - uptimeMs

    var databaseProblem: String?
    var scheduler: Overview.Scheduler?
    do {
      try await lamps.store.ping()
      let overview = try await lamps.store.schedules.overview()
      scheduler = Overview.Scheduler(
        enabled: services.configuration.schedulerEnabled, enabledSchedules: overview.enabledSchedules,
        nextDueAt: overview.nextDueAt, lastRunAt: overview.lastRunAt, lastRunStatus: overview.lastRunStatus)
    } catch {
      databaseProblem = "unreachable"
    }

    let brokerProblem = lamps.broker.problem()
    let devices = lamps.state.devices
    // One physical device may carry several lamps; each lamp counts (the dashboard shows lamps).
    let online = devices.map { lamps.state.live(mqttKey: $0.mqttKey)?.online }
    let metrics = lamps.commands.outcomeMetrics
    let latency = metrics.ackLatency
    func milliseconds(_ seconds: Double?) -> Int64? { seconds.map { Int64(($0 * 1000).rounded()) } }

    let overview = Overview(
      version: SmartLampVersion.version, startedAt: startedAt, uptimeSec: uptimeMs / 1000,
      database: .init(
        ready: databaseProblem == nil, dialect: services.database.dialect.rawValue, problem: databaseProblem),
      broker: .init(
        ready: brokerProblem == nil, connected: lamps.broker.isConnected, problem: brokerProblem,
        refusedSubscriptions: lamps.broker.refusedFilters),
      devices: .init(
        known: devices.count, online: online.filter { $0 == true }.count,
        offline: online.filter { $0 == false }.count, unknown: online.filter { $0 == nil }.count),
      realtime: .init(openStreams: lamps.hub.subscriberCount),
      commands: .init(
        since: startedAt,
        outcomes: Dictionary(
          uniqueKeysWithValues: Self.outcomeNames.map { ($0, Int(metrics.outcomes.value([$0]))) }),
        ackLatencyMs: .init(
          count: Int(latency.count()), p50: milliseconds(latency.quantile(0.5)),
          p95: milliseconds(latency.quantile(0.95)))),
      scheduler: scheduler, openapiUrl: "/api/v1/openapi.json")
    return try EnvelopeResponse.success(overview, requestID: context.requestID)
  }
}
