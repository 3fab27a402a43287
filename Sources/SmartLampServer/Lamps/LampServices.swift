import Logging
import MQTT
import ServiceLifecycle
import SmartLampCore
import SmartLampStore
import Tasmota

/// Everything lamp control shares: the broker connection, device state, commands, realtime hub, discovery.
/// Made once in `buildApplication`; nothing connects or runs until the ServiceGroup starts `backgroundServices`.
public struct LampServices: Sendable {
  let configuration: Configuration
  let database: any SQLDatabase
  let logger: Logger
  let store: Store
  var commandLogs: CommandLogRepository { store.commandLogs }
  let hub: RealtimeHub
  let state: DeviceStateService
  let history: DeviceHistoryRecorder
  let broker: any BrokerLink
  /// The connection to run, unless the broker was given (a test without one).
  private let brokerConnection: BrokerConnection?
  let ingest: LampIngest
  let commands: CommandService
  let discovery: DiscoveryInventory
  let rateLimiter: CommandRateLimiter
  let idempotency: Idempotency
  let realtime: RealtimeWatcher
  /// Fired after committed changes to devices, assignments, users, sessions or keys (shared with accounts).
  let accessChanges: AccessChanges
  /// Assignments per person, voided by ``accessChanges`` (``GrantCache``).
  let grants: GrantCache
  let demo: DemoLamps?
  let administration: DeviceAdministration
  /// Time for commands and schedules (``ServerDependencies/clock``).
  let clock: ServerClock
  /// Nudged by ``ScheduleService`` after every change, so the scheduler does not sleep past a new earlier slot.
  let scheduleWakeup = ScheduleWakeup()

  public init(
    configuration: Configuration, database: any SQLDatabase, logger: Logger,
    accessChanges: AccessChanges = AccessChanges(), dependencies: ServerDependencies = .standard
  ) async throws {
    self.configuration = configuration
    self.accessChanges = accessChanges
    grants = GrantCache(ttl: .milliseconds(configuration.sessionCacheMs), changes: accessChanges)
    self.database = database
    clock = dependencies.clock
    var logger = logger
    logger[metadataKey: "component"] = "lamps"
    self.logger = logger
    let store = Store(database: database)
    self.store = store
    hub = RealtimeHub(
      streamLimits: .init(
        perSession: configuration.realtimeMaxStreamsPerSession, perPerson: configuration.realtimeMaxStreamsPerPerson))
    state = DeviceStateService(store: store.deviceStates, logger: logger)
    history = DeviceHistoryRecorder(repository: store.deviceHistory, logger: logger)
    discovery = DiscoveryInventory()
    if let given = dependencies.broker {
      brokerConnection = nil
      broker = given
    } else {
      let connection = try BrokerConnection(configuration: configuration, logger: logger)
      brokerConnection = connection
      broker = connection
    }
    commands = CommandService(
      broker: broker, state: state, logs: store.commandLogs, hub: hub, ackTimeoutMs: configuration.ackTimeoutMs,
      clock: dependencies.clock, logger: logger)
    ingest = LampIngest(
      broker: broker, state: state, discovery: discovery, commands: commands, hub: hub, history: history)
    rateLimiter = CommandRateLimiter(
      repository: store.rateLimits, limit: configuration.commandRateLimitMax,
      windowSec: configuration.commandRateLimitWindowSec)
    idempotency = Idempotency(repository: store.idempotency, clock: dependencies.clock)
    administration = DeviceAdministration(store: store, state: state, accessChanges: accessChanges)
    realtime = RealtimeWatcher(
      hub: hub, store: store, state: state, accessChanges: accessChanges, logger: logger,
      pingInterval: .milliseconds(configuration.realtimePingIntervalMs))
    demo =
      configuration.demo
      ? try DemoLamps(configuration: configuration, state: state, devices: store.devices, logger: logger) : nil

    // Registered devices and their persisted state, before any message can arrive.
    state.setDevices(try await store.devices.lampDevices())
    state.load(try await store.deviceStates.loadAll())
  }

  /// Long-running parts, run under the application's ServiceGroup (shut down in reverse order).
  var backgroundServices: [any Service] {
    let link: [any Service] = brokerConnection.map { [$0] } ?? []
    let core: [any Service] =
      [StateFlusher(state: state, history: history), commands] + link + [
        ingest, realtime, IdempotencyPurger(repository: idempotency.repository),
      ]
    let scheduler: [any Service] =
      configuration.schedulerEnabled
      ? [
        ScheduleRunner(
          lamps: self, executor: commands, maxWait: .milliseconds(configuration.schedulerIntervalMs), clock: clock,
          logger: logger)
      ] : []
    return core + scheduler + (demo.map { [$0] } ?? [])
  }

  /// The broker's state in `/api/v1/health/ready`.
  var readinessChecks: [any ReadinessCheck] {
    let broker = self.broker
    return [ClosureReadinessCheck(name: "broker") { broker.problem() }]
  }

  /// The devices `principal` may see, with the rights it holds on each, in id order.
  func visibleDevices(for principal: Principal) async throws -> [(device: LampDevice, grant: DeviceGrant)] {
    let devices = state.devices
    let grants: [Int64: DeviceGrant]
    if Authorization.isAdmin(principal) {
      grants = [:]
    } else if let user = principal.effectiveUserId {
      grants = try await assignedGrants(of: user)
    } else {
      return []
    }
    return devices.compactMap { device in
      Authorization.effectiveGrant(principal, assignment: grants[device.id]).map { (device, $0) }
    }
  }

  /// The grant `principal` holds on one device (nil for admins: they need none).
  func grant(of principal: Principal, on device: LampDevice) async throws -> DeviceGrant? {
    guard !Authorization.isAdmin(principal), let user = principal.effectiveUserId else { return nil }
    return try await assignedGrants(of: user)[device.id]
  }

  /// The user's assignments by device internal id, through ``grants`` (in-process changes seen at once).
  func assignedGrants(of user: Int64) async throws -> [Int64: DeviceGrant] {
    let assignments = store.assignments
    return try await grants.grants(of: user) { try await assignments.grantsByDeviceInternalId(user) }
  }
}

/// Writes changed device state to `device_state` every 250 ms, and once more at shutdown. A write that took long
/// stretches the pause after it so that writing takes at most about a tenth of the time: with 10 000 lamps
/// reporting several times a second every write held nearly every lamp, and writing 40 000 rows a second took a
/// quarter of the server during ingest (issue #10). Reports in between are kept in memory and written together.
struct StateFlusher: Service {
  let state: DeviceStateService
  let history: DeviceHistoryRecorder
  var interval: Duration = .milliseconds(250)

  func run() async throws {
    while !Task.isShuttingDownGracefully && !Task.isCancelled {
      try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
      await history.flush()
      let started = ContinuousClock.now
      await state.flush()
      let longer = started.duration(to: .now) * 9 - interval
      if longer > .zero { try? await cancelWhenGracefulShutdown { try await Task.sleep(for: longer) } }
    }
    await history.flush()
    await state.flush()
  }
}

/// Deletes idempotency records older than 24 h, hourly.
struct IdempotencyPurger: Service {
  let repository: IdempotencyRepository

  func run() async throws {
    while !Task.isShuttingDownGracefully && !Task.isCancelled {
      _ = try? await repository.purgeExpired(now: Timestamp.nowMillis())
      try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(3600)) }
    }
  }
}
