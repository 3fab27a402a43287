/// Counters for logs and tests.
public struct LampStats: Sendable, Equatable {
  public var accepted: UInt32 = 0
  public var refused: UInt32 = 0
  public var ignored: UInt32 = 0
  public var presses: UInt32 = 0
  public var connects: UInt32 = 0
}

/// The lamp as a pure state machine: events in (boot, connected, disconnected, network up, message, button sample,
/// tick) and actions out through `LampEffects` (relay, publish, subscribe, persist, reconnect). It owns the relay
/// state, the connection state with its backoff, the button debouncer and the replay memory; it never allocates
/// and never reads a clock itself, so the same code runs on the ESP32 and on the host.
public struct Lamp: Sendable {
  public static let maxPayloadLength = 512

  enum Connection: Sendable, Equatable {
    case notBooted
    /// Waiting `delayMs` from `since` before the next attempt.
    case waiting(since: UInt32, delayMs: UInt32)
    case connecting(since: UInt32)
    /// `stable` turns true once the connection has lasted `stableConnectionMs`.
    case connected(since: UInt32, stable: Bool)
  }

  public let config: LampConfig
  public private(set) var power = false
  public private(set) var stats = LampStats()
  public private(set) var nonces = NonceMemory(highWater: 0)
  var connection = Connection.notBooted
  var backoff: ReconnectBackoff
  var button: ButtonDebouncer
  var rssi: Int16? = nil
  var hasConnectedBefore = false

  /// `seed` feeds the reconnect jitter (the device passes its hardware RNG).
  public init(config: LampConfig, seed: UInt64) {
    self.config = config
    self.backoff = ReconnectBackoff(
      initialMs: config.reconnectInitialMs, maxMs: config.reconnectMaxMs, seed: seed)
    self.button = ButtonDebouncer(debounceMs: config.buttonDebounceMs)
  }

  public var isConnected: Bool {
    if case .connected = connection { return true }
    return false
  }

  public var willTopic: TopicBuffer { LampTopics.availability(config.deviceId) }
  public static let willPayload: StaticString = "OFFLINE"
  public static let onlinePayload: StaticString = "ONLINE"
  public var reconnectAttempt: UInt32 { backoff.attempt }
  /// The ceiling of the next reconnect wait before jitter.
  public var reconnectCeilingMs: UInt32 { backoff.nextCeilingMs }

  /// The signal strength to report from now on (nil = unknown).
  public mutating func setSignalStrength(_ dBm: Int16?) { rssi = dBm }

  // MARK: - Events

  /// Power-up: restores the relay by policy from the saved record (empty or invalid = nothing saved) and arms the
  /// first connection attempt.
  public mutating func boot<Effects: LampEffects>(restoring record: Span<UInt8>, now: LampTime, effects: inout Effects)
  {
    guard case .notBooted = connection else { return }
    let saved = PersistedState(record: record)
    switch config.restorePolicy {
    case .last: power = saved?.power ?? false
    case .off: power = false
    case .on: power = true
    }
    nonces = NonceMemory(highWater: saved?.nonceHighWater ?? 0)
    effects.setRelay(power)
    if saved?.power != power { persist(&effects) }
    connection = .waiting(since: now.monotonicMs, delayMs: 0)
  }

  /// The platform reached the network: an attempt is due now, from the first backoff step.
  public mutating func networkUp<Effects: LampEffects>(now: LampTime, effects: inout Effects) {
    guard case .waiting = connection else { return }
    backoff.reset()
    connection = .waiting(since: now.monotonicMs, delayMs: 0)
    tick(now: now, effects: &effects)
  }

  /// The broker accepted the connection (CONNACK 0): subscribe, announce ONLINE and the state.
  public mutating func connected<Effects: LampEffects>(now: LampTime, effects: inout Effects) {
    switch connection {
    case .notBooted, .connected: return
    case .waiting, .connecting: break
    }
    connection = .connected(since: now.monotonicMs, stable: false)
    stats.connects &+= 1
    for index in 0..<LampTopics.subscriptionCount {
      if let topic = LampTopics.subscription(index, config.deviceId) { effects.subscribe(topic: topic, qos: 1) }
    }
    var online = PayloadBuffer()
    online.append(Lamp.onlinePayload)
    effects.publish(topic: willTopic, payload: online, qos: 1, retain: true)
    publishState(reason: hasConnectedBefore ? .reconnect : .boot, requestId: nil, now: now, effects: &effects)
    hasConnectedBefore = true
  }

  /// The connection attempt failed or the connection was lost: schedule the next attempt with backoff.
  public mutating func disconnected<Effects: LampEffects>(now: LampTime, effects: inout Effects) {
    switch connection {
    case .notBooted, .waiting: return  // already waiting: a second report of the same loss changes nothing
    case .connected(_, let stable): if stable { backoff.reset() }
    case .connecting: break
    }
    scheduleReconnect(now: now, effects: &effects)
  }

  /// Periodic: starts a due connection attempt, times out a hanging one, settles the button.
  public mutating func tick<Effects: LampEffects>(now: LampTime, effects: inout Effects) {
    switch connection {
    case .notBooted:
      return
    case .waiting(let since, let delay):
      if now.elapsed(since: since) >= delay {
        connection = .connecting(since: now.monotonicMs)
        effects.connect()
      }
    case .connecting(let since):
      if now.elapsed(since: since) >= config.connectTimeoutMs { scheduleReconnect(now: now, effects: &effects) }
    case .connected(let since, let stable):
      if !stable && now.elapsed(since: since) >= config.stableConnectionMs {
        connection = .connected(since: since, stable: true)
      }
    }
    if button.settle(at: now) { press(now: now, effects: &effects) }
  }

  /// One raw sample of the button (true = pressed); a debounced press toggles the relay, online or not.
  public mutating func buttonSample<Effects: LampEffects>(pressed: Bool, now: LampTime, effects: inout Effects) {
    guard connection != .notBooted else { return }
    if button.sample(pressed: pressed, at: now) { press(now: now, effects: &effects) }
  }

  /// A message from the broker.
  public mutating func message<Effects: LampEffects>(
    topic: Span<UInt8>, payload: Span<UInt8>, now: LampTime, effects: inout Effects
  ) {
    guard connection != .notBooted, let kind = LampTopics.classify(topic, deviceId: config.deviceId) else {
      stats.ignored &+= 1
      return
    }
    guard payload.count <= Lamp.maxPayloadLength else {
      refuse(.tooLarge, requestId: nil, now: now, effects: &effects)
      return
    }
    var firstByte: UInt8? = nil
    for index in 0..<payload.count where !PowerAction.isSpace(payload[index]) {
      firstByte = payload[index]
      break
    }
    if firstByte == 0x7B {
      handleEnvelope(payload, now: now, effects: &effects)
      return
    }
    guard kind != .envelope, let action = PowerAction(plain: payload) else {
      refuse(.malformed, requestId: nil, now: now, effects: &effects)
      return
    }
    if action != .query && config.hasSecret {
      refuse(.signatureRequired, requestId: nil, now: now, effects: &effects)
      return
    }
    apply(action, requestId: nil, now: now, effects: &effects)
  }

  // MARK: - Internals

  mutating func handleEnvelope<Effects: LampEffects>(_ payload: Span<UInt8>, now: LampTime, effects: inout Effects) {
    var envelope = SignedEnvelope()
    let parsed = payload.withUnsafeBufferPointer { bytes -> Refusal? in
      do throws(Refusal) {
        try envelope.parse(bytes)
        return nil
      } catch {
        return error
      }
    }
    if let parsed {
      refuse(parsed, requestId: envelope.hasValidRequestId ? envelope.requestId : nil, now: now, effects: &effects)
      return
    }
    if let refusal = check(envelope, now: now) {
      refuse(refusal, requestId: envelope.requestId, now: now, effects: &effects)
      return
    }
    guard let action = PowerAction(envelopeAction: envelope.action) else {
      refuse(.unknownAction, requestId: envelope.requestId, now: now, effects: &effects)
      return
    }
    nonces.remember(nonce: envelope.nonce, issuedAt: envelope.issuedAt)
    apply(action, requestId: envelope.requestId, now: now, forcePersist: true, effects: &effects)
  }

  /// The envelope checks in order: addressee, secret, signature, action, lifetime, clock, replay.
  func check(_ envelope: borrowing SignedEnvelope, now: LampTime) -> Refusal? {
    guard envelope.deviceId.equals(config.deviceId) else { return .wrongDevice }
    guard config.hasSecret else { return .noSecret }
    guard envelope.signatureMatches(secret: config.secret) else { return .signatureInvalid }
    guard PowerAction(envelopeAction: envelope.action) != nil else { return .unknownAction }
    guard envelope.expiresAt > envelope.issuedAt else { return .expired }
    guard envelope.expiresAt - envelope.issuedAt <= config.maxEnvelopeLifetimeMs else { return .lifetimeTooLong }
    if now.wallClockKnown {
      guard envelope.expiresAt > now.wallMs else { return .expired }
      guard envelope.issuedAt <= now.wallMs &+ config.maxClockSkewMs else { return .notYetValid }
    }
    guard !nonces.isReplay(nonce: envelope.nonce, issuedAt: envelope.issuedAt) else { return .replayed }
    return nil
  }

  mutating func apply<Effects: LampEffects>(
    _ action: PowerAction, requestId: FixedBytes<64>?, now: LampTime, forcePersist: Bool = false,
    effects: inout Effects
  ) {
    stats.accepted &+= 1
    let next = action.applied(to: power)
    let changed = next != power
    if changed {
      power = next
      effects.setRelay(power)
    }
    if changed || forcePersist { persist(&effects) }
    publishState(reason: action == .query ? .query : .command, requestId: requestId, now: now, effects: &effects)
  }

  mutating func press<Effects: LampEffects>(now: LampTime, effects: inout Effects) {
    stats.presses &+= 1
    power.toggle()
    effects.setRelay(power)
    persist(&effects)
    publishState(reason: .button, requestId: nil, now: now, effects: &effects)
  }

  mutating func scheduleReconnect<Effects: LampEffects>(now: LampTime, effects: inout Effects) {
    let delay = backoff.nextDelayMs()
    connection = .waiting(since: now.monotonicMs, delayMs: delay)
    effects.scheduleReconnect(afterMs: delay)
  }

  func persist<Effects: LampEffects>(_ effects: inout Effects) {
    effects.persist(record: PersistedState(power: power, nonceHighWater: nonces.highWater).encode())
  }

  func report(reason: StatusReason, requestId: FixedBytes<64>?, error: Refusal?, now: LampTime) -> StatusReport {
    var status = StatusReport()
    status.deviceId = config.deviceId
    status.power = power
    status.timestampMs = now.wallMs
    status.reason = reason
    status.rssi = rssi
    if let requestId { status.requestId = requestId }
    status.error = error
    return status
  }

  /// Retained status on `home/<id>/status` plus the Tasmota replies; only while connected (a connect publishes
  /// the state anyway).
  func publishState<Effects: LampEffects>(
    reason: StatusReason, requestId: FixedBytes<64>?, now: LampTime, effects: inout Effects
  ) {
    guard isConnected else { return }
    var payload = PayloadBuffer()
    report(reason: reason, requestId: requestId, error: nil, now: now).write(into: &payload)
    effects.publish(topic: LampTopics.status(config.deviceId), payload: payload, qos: 1, retain: true)
    payload.removeAll()
    payload.append(power ? "{\"POWER\":\"ON\"}" : "{\"POWER\":\"OFF\"}")
    effects.publish(topic: LampTopics.statResult(config.deviceId), payload: payload, qos: 1, retain: false)
    payload.removeAll()
    payload.append(power ? "ON" : "OFF")
    effects.publish(topic: LampTopics.statPower(config.deviceId), payload: payload, qos: 1, retain: true)
  }

  mutating func refuse<Effects: LampEffects>(
    _ refusal: Refusal, requestId: FixedBytes<64>?, now: LampTime, effects: inout Effects
  ) {
    stats.refused &+= 1
    guard isConnected else { return }
    var payload = PayloadBuffer()
    report(reason: .refused, requestId: requestId, error: refusal, now: now).write(into: &payload)
    effects.publish(topic: LampTopics.status(config.deviceId), payload: payload, qos: 1, retain: false)
  }
}
