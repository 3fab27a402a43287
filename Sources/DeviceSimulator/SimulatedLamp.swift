import Foundation
import Logging
import MQTT
import Synchronization
import Tasmota

/// One simulated device on a real broker: its own MQTT connection (so its own Will), the pure
/// ``SimulatedDevice`` for behaviour, and loops for commands, telemetry and reconnection.
final class SimulatedLamp: Sendable {
  let configuration: SimulatedDeviceConfiguration
  private let client: MQTTClient
  private let clientConfiguration: MQTTClientConfiguration
  private let connection: DeviceSimulatorConfiguration
  private let logger: Logger
  private let events: AsyncStream<SimulatorEvent>.Continuation
  private let boot = ContinuousClock.now
  private let shared: Mutex<State>
  private let wakeStream: AsyncStream<Void>
  private let wake: AsyncStream<Void>.Continuation

  private struct State {
    var device: SimulatedDevice
    var faults: FaultInjector
    /// false while the device is deliberately offline.
    var wantOnline = true
    /// true between a successful connect and the loss noticed afterwards, to report each loss once.
    var announcedOnline = false
  }

  init(
    configuration: SimulatedDeviceConfiguration, connection: DeviceSimulatorConfiguration, logger: Logger,
    events: AsyncStream<SimulatorEvent>.Continuation
  ) throws(MQTTError) {
    self.configuration = configuration
    self.connection = connection
    self.events = events
    var logger = logger
    logger[metadataKey: "device"] = "\(configuration.topic)"
    self.logger = logger
    let device = SimulatedDevice(configuration: configuration)
    var settings = try MQTTClientConfiguration(url: connection.brokerURL, clientID: configuration.clientID)
    if let username = connection.username { settings.username = username }
    if let password = connection.password { settings.password = password }
    settings.caFile = connection.caFile
    settings.keepAlive = connection.keepAlive
    settings.cleanSession = true
    settings.will = MQTTWill(topic: device.will.topic, payload: device.will.payload, qos: .atMostOnce, retain: true)
    // We reconnect ourselves, because every reconnect must re-announce Online and because a deliberate
    // "go offline" must stay offline.
    settings.reconnect = .disabled
    clientConfiguration = settings
    client = MQTTClient(configuration: settings, logger: logger)
    shared = Mutex(State(device: device, faults: FaultInjector(policy: configuration.faults, device: configuration)))
    (wakeStream, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
  }

  var relays: [TasmotaPower] { shared.withLock { $0.device.relays } }
  var isOnline: Bool { client.state.isConnected }

  // MARK: - life cycle

  /// Runs until the task is cancelled, then says goodbye (LWT `Offline`, DISCONNECT) like a restarting Tasmota.
  func run() async {
    let subscription: MQTTSubscription
    do {
      // Registered before connecting: every connection subscribes it before reporting `.connected`.
      subscription = try await client.subscribe(
        [SimulatedDevice(configuration: configuration).commandFilter], qos: .atMostOnce)
    } catch {
      events.yield(.connectFailed(device: configuration.topic, error: "\(error)"))
      return
    }
    await withDiscardingTaskGroup { group in
      group.addTask { await self.watchConnection() }
      group.addTask { await self.connectionLoop() }
      group.addTask { await self.commandLoop(subscription) }
      group.addTask { await self.telemetryLoop() }
    }
    // Cancellation must not cut the goodbye short.
    await Task { await self.sayGoodbye() }.value
  }

  private func sayGoodbye() async {
    if client.state.isConnected {
      let will = shared.withLock { $0.device.will }
      try? await client.publish(topic: will.topic, payload: will.payload, qos: .atLeastOnce, retain: true)
    }
    shared.withLock { $0.wantOnline = false }
    await client.disconnect()
  }

  /// Drops off the network without DISCONNECT, so the broker publishes the Will, and stays away until
  /// ``comeBack()``.
  func goOffline() async {
    let wasWanted = shared.withLock { state in
      defer { state.wantOnline = false }
      return state.wantOnline
    }
    guard wasWanted else { return }
    await severConnection()
  }

  func comeBack() {
    shared.withLock { $0.wantOnline = true }
    wake.yield()
  }

  func setFaults(_ policy: FaultPolicy) {
    shared.withLock { $0.faults.update(policy, deviceSalt: configuration.faultSalt) }
  }

  /// Ends the TCP connection without DISCONNECT. `MQTTClient` has no public abort, so we take the session over:
  /// a second connection with the same client id makes the broker close ours as a network failure would, and it
  /// publishes our Will (MQTT 3.1.1 §3.1.4; Mosquitto, EMQX and HiveMQ do). The intruder then leaves cleanly
  /// and without a Will of its own.
  private func severConnection() async {
    var intruderSettings = clientConfiguration
    intruderSettings.will = nil
    intruderSettings.reconnect = .disabled
    let intruder = MQTTClient(configuration: intruderSettings, logger: logger)
    do {
      try await intruder.connect()
    } catch {
      logger.warning("could not take the session over", metadata: ["error": "\(error)"])
    }
    await intruder.disconnect()
  }

  // MARK: - loops

  /// Turns connection state changes into wake-ups and offline events.
  private func watchConnection() async {
    for await state in client.stateUpdates() {
      if case .disconnected(let reason) = state {
        let announced = shared.withLock { state in
          defer { state.announcedOnline = false }
          return state.announcedOnline
        }
        if announced { events.yield(.offline(device: configuration.topic, reason: reason)) }
      }
      wake.yield()
    }
  }

  /// Connects whenever the device should be online and is not, with exponential backoff on failure.
  private func connectionLoop() async {
    var attempt = 0
    var wakeUps = wakeStream.makeAsyncIterator()
    while !Task.isCancelled {
      let wanted = shared.withLock { $0.wantOnline }
      if wanted && !client.state.isConnected {
        do {
          try await client.connect()
          try await announceOnline()
          attempt = 0
        } catch {
          events.yield(.connectFailed(device: configuration.topic, error: "\(error)"))
          let delay = min(connection.reconnectDelay * (1 << min(attempt, 16)), connection.maximumReconnectDelay)
          attempt += 1
          do { try await Task.sleep(for: delay) } catch { return }
          continue
        }
      }
      guard await wakeUps.next() != nil else { return }
    }
  }

  /// Tasmota's boot sequence on every connect: LWT Online (retained), discovery config (retained), STATE.
  private func announceOnline() async throws {
    let (messages, state) = shared.withLock { state in
      state.announcedOnline = true
      return (
        state.device.connectedMessages(nowMillis: Self.nowMillis()),
        state.device.telemetry(uptimeSeconds: uptimeSeconds, time: Self.timeText())
      )
    }
    // A native lamp sends no Tasmota telemetry.
    for message in messages + (configuration.profile == .native ? [] : [state]) {
      try await client.publish(topic: message.topic, payload: message.payload, qos: .atMostOnce, retain: message.retain)
    }
    events.yield(.online(device: configuration.topic))
  }

  private func commandLoop(_ subscription: MQTTSubscription) async {
    for await message in subscription {
      let payload = Array(message.payloadString.utf8)
      let (reply, dropped, latency) = shared.withLock { state in
        let reply = state.device.handle(
          topic: message.topic, payload: payload, uptimeSeconds: uptimeSeconds, time: Self.timeText(),
          nowMillis: Self.nowMillis())
        guard reply.outcome != .ignored else { return (reply, false, Duration.zero) }
        return (reply, state.faults.shouldDrop(), state.faults.policy.latency)
      }
      guard reply.outcome != .ignored else { continue }
      if latency > .zero {
        do { try await Task.sleep(for: latency) } catch { return }
      }
      if !dropped {
        for outgoing in reply.messages {
          do {
            try await client.publish(
              topic: outgoing.topic, payload: outgoing.payload, qos: .atMostOnce, retain: outgoing.retain)
          } catch {
            logger.debug("reply not sent", metadata: ["topic": "\(outgoing.topic)", "error": "\(error)"])
          }
        }
      }
      events.yield(
        .command(
          SimulatorCommandRecord(
            device: configuration.topic, command: reply.command, outcome: reply.outcome, dropped: dropped,
            latency: latency)))
    }
  }

  /// `tele/<t>/STATE` every teleperiod. The first one comes after a per-device offset so that a large fleet
  /// spreads its telemetry over the period instead of sending it in one burst.
  private func telemetryLoop() async {
    let period = configuration.teleperiod
    guard period > .zero, configuration.profile == .tasmota else { return }
    let fraction = Double(configuration.faultSalt % 1000) / 1000
    var next = boot + period * fraction
    while true {
      do { try await Task.sleep(until: next, clock: .continuous) } catch { return }
      next += period
      guard client.state.isConnected else { continue }
      let message = shared.withLock { $0.device.telemetry(uptimeSeconds: uptimeSeconds, time: Self.timeText()) }
      do {
        try await client.publish(topic: message.topic, payload: message.payload, qos: .atMostOnce)
      } catch {
        logger.debug("STATE not sent", metadata: ["error": "\(error)"])
      }
    }
  }

  private var uptimeSeconds: Int { Int((ContinuousClock.now - boot).components.seconds) }

  /// Wall-clock epoch milliseconds (a native lamp's `ts` and envelope expiry).
  static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

  /// Local time without zone, as Tasmota prints `Time` (we use UTC).
  static func timeText(_ date: Date = Date()) -> String {
    String(date.ISO8601Format(.iso8601(timeZone: .gmt)).dropLast())
  }
}
