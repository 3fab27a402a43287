import Logging
import MQTT
import ServiceLifecycle
import SmartLampCore
import SmartLampStore
import Synchronization
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
  let acks: AckTracker
  let state: DeviceStateService
  let broker: BrokerConnection
  let commands: CommandService
  let discovery: DiscoveryInventory
  let rateLimiter: CommandRateLimiter
  let idempotency: Idempotency
  let realtime: RealtimeWatcher
  /// Fired after committed changes to devices, assignments, users, sessions or keys (shared with accounts).
  let accessChanges: AccessChanges
  let demo: DemoLamps?
  let administration: DeviceAdministration

  public init(
    configuration: Configuration, database: any SQLDatabase, logger: Logger,
    accessChanges: AccessChanges = AccessChanges()
  ) async throws {
    self.configuration = configuration
    self.accessChanges = accessChanges
    self.database = database
    var logger = logger
    logger[metadataKey: "component"] = "lamps"
    self.logger = logger
    let store = Store(database: database)
    self.store = store
    hub = RealtimeHub(
      streamLimits: .init(
        perSession: configuration.realtimeMaxStreamsPerSession, perPerson: configuration.realtimeMaxStreamsPerPerson))
    // The tracker reports outcomes to the command service, which needs the tracker: bind it late.
    let outcomeSink = LateBound<CommandService>()
    acks = AckTracker(timeout: .milliseconds(max(configuration.ackTimeoutMs, 1))) { pending, outcome in
      outcomeSink.value?.recordOutcome(pending, outcome)
    }
    state = DeviceStateService(
      hub: hub, acks: acks, store: store.deviceStates, logger: logger,
      history: DeviceHistoryRecorder(repository: store.deviceHistory, logger: logger))
    discovery = DiscoveryInventory()
    let hubRef = hub
    discovery.onChange { mqttDeviceID, change in
      let event = RealtimeEvent.Discovery(change: change.rawValue, mqttDeviceId: mqttDeviceID, ts: RealtimeEvent.now())
      hubRef.publish(device: nil, json: RealtimeEvent.json(event), adminsOnly: true)
    }
    let stateRef = state
    let discoveryRef = discovery
    let brokerSink = LateBound<BrokerConnection>()
    broker = try BrokerConnection(
      configuration: configuration,
      handlers: .init(
        message: { message in
          let payload = Array(message.payload.readableBytesView)
          let now = APITime.epochMilliseconds()
          let queries: [(topic: String, payload: String)]
          if let native = NativeMessage.parse(topic: message.topic, payload: payload) {
            discoveryRef.ingest(native, now: now)
            queries = stateRef.ingest(native, topic: message.topic, now: now)
          } else {
            let parsed = TasmotaMessage.parse(topic: message.topic, payload: payload)
            discoveryRef.ingest(parsed, now: now)
            queries = stateRef.ingest(parsed, topic: message.topic, now: now)
          }
          for query in queries {
            await brokerSink.value?.publishQuery(topic: query.topic, payload: query.payload)
          }
        },
        connected: {
          for query in stateRef.allStateQueries() {
            await brokerSink.value?.publishQuery(topic: query.topic, payload: query.payload)
          }
        }),
      logger: logger)
    brokerSink.value = broker
    commands = CommandService(
      broker: broker, acks: acks, state: state, logs: store.commandLogs, hub: hub,
      ackTimeoutMs: configuration.ackTimeoutMs, logger: logger)
    outcomeSink.value = commands
    rateLimiter = CommandRateLimiter(
      repository: store.rateLimits, limit: configuration.commandRateLimitMax,
      windowSec: configuration.commandRateLimitWindowSec)
    idempotency = Idempotency(repository: store.idempotency)
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
    let core: [any Service] = [
      StateFlusher(state: state), commands, broker, realtime, IdempotencyPurger(repository: idempotency.repository),
    ]
    let scheduler: [any Service] =
      configuration.schedulerEnabled
      ? [
        ScheduleRunner(
          lamps: self, executor: commands, interval: .milliseconds(configuration.schedulerIntervalMs), logger: logger)
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
      grants = try await store.assignments.grantsByDeviceInternalId(user)
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
    return try await store.assignments.grantsByDeviceInternalId(user)[device.id]
  }
}

/// A reference filled in after construction, for the two cycles between lamp services.
final class LateBound<Value: Sendable>: Sendable {
  private let storage = Mutex<Value?>(nil)
  var value: Value? {
    get { storage.withLock { $0 } }
    set { storage.withLock { $0 = newValue } }
  }
}

/// Writes changed device state to `device_state` every 250 ms, and once more at shutdown.
struct StateFlusher: Service {
  let state: DeviceStateService
  var interval: Duration = .milliseconds(250)

  func run() async throws {
    while !Task.isShuttingDownGracefully && !Task.isCancelled {
      try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
      await state.flush()
    }
    await state.flush()
  }
}

/// Deletes idempotency records older than 24 h, hourly.
struct IdempotencyPurger: Service {
  let repository: IdempotencyRepository

  func run() async throws {
    while !Task.isShuttingDownGracefully && !Task.isCancelled {
      _ = try? await repository.purgeExpired(now: APITime.epochMilliseconds())
      try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(3600)) }
    }
  }
}
