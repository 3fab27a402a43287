import LampCore

/// Records the lamp's actions as readable values, so tests assert on exactly what a platform would be asked to do.
struct Recorder: LampEffects {
  enum Action: Equatable, CustomStringConvertible {
    case relay(Bool)
    case publish(topic: String, payload: String, qos: UInt8, retain: Bool)
    case subscribe(String)
    case persist(PersistedState)
    case scheduleReconnect(UInt32)
    case connect

    var description: String {
      switch self {
      case .relay(let on): return "relay(\(on ? "ON" : "OFF"))"
      case .publish(let topic, let payload, let qos, let retain):
        return "publish(\(topic) \(payload) q\(qos)\(retain ? " r" : ""))"
      case .subscribe(let topic): return "subscribe(\(topic))"
      case .persist(let state): return "persist(\(state.power) \(state.nonceHighWater))"
      case .scheduleReconnect(let ms): return "reconnectIn(\(ms))"
      case .connect: return "connect"
      }
    }
  }

  var actions: [Action] = []

  mutating func setRelay(_ on: Bool) { actions.append(.relay(on)) }
  mutating func publish(topic: borrowing TopicBuffer, payload: borrowing PayloadBuffer, qos: UInt8, retain: Bool) {
    actions.append(.publish(topic: topic.string, payload: payload.string, qos: qos, retain: retain))
  }
  mutating func subscribe(topic: borrowing TopicBuffer, qos: UInt8) { actions.append(.subscribe(topic.string)) }
  mutating func persist(record: borrowing FixedBytes<16>) {
    let state = record.withSpan { PersistedState(record: $0) }
    actions.append(.persist(state ?? PersistedState(power: false, nonceHighWater: UInt64.max)))
  }
  mutating func scheduleReconnect(afterMs: UInt32) { actions.append(.scheduleReconnect(afterMs)) }
  mutating func connect() { actions.append(.connect) }

  /// Takes the recorded actions and starts a new list.
  mutating func take() -> [Action] {
    defer { actions = [] }
    return actions
  }

  func publishes(on topic: String) -> [(payload: String, retain: Bool)] {
    actions.compactMap {
      if case .publish(let t, let payload, _, let retain) = $0, t == topic { return (payload, retain) }
      return nil
    }
  }
}

extension FixedBytes {
  var string: String { withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
}

/// A lamp with a recorder, driven with strings and an explicit clock.
struct Harness {
  var lamp: Lamp
  var effects = Recorder()
  var clock: LampTime

  init(
    id: String = "lampu-teras", secret: String = "", policy: RestorePolicy = .last, start: UInt32 = 1_000,
    wallMs: UInt64 = 1_764_831_600_000, seed: UInt64 = 42, configure: (inout LampConfig) -> Void = { _ in }
  ) {
    let idBytes = Array(id.utf8)
    let secretBytes = Array(secret.utf8)
    var config = LampConfig(deviceId: idBytes.span, secret: secretBytes.span)
    config.restorePolicy = policy
    configure(&config)
    lamp = Lamp(config: config, seed: seed)
    clock = LampTime(monotonicMs: start, wallMs: wallMs)
  }

  mutating func boot(record: [UInt8] = []) {
    lamp.boot(restoring: record.span, now: clock, effects: &effects)
  }

  /// Boots, makes the first attempt and reports it connected; returns with an empty action list.
  mutating func bootConnected(record: [UInt8] = []) {
    boot(record: record)
    lamp.tick(now: clock, effects: &effects)
    lamp.connected(now: clock, effects: &effects)
    _ = effects.take()
  }

  mutating func advance(_ ms: UInt32) {
    clock.monotonicMs &+= ms
    if clock.wallMs != 0 { clock.wallMs += UInt64(ms) }
  }

  mutating func send(_ topic: String, _ payload: String) {
    let t = Array(topic.utf8)
    let p = Array(payload.utf8)
    lamp.message(topic: t.span, payload: p.span, now: clock, effects: &effects)
  }

  mutating func sendBytes(_ topic: String, _ payload: [UInt8]) {
    let t = Array(topic.utf8)
    lamp.message(topic: t.span, payload: payload.span, now: clock, effects: &effects)
  }

  mutating func tick() { lamp.tick(now: clock, effects: &effects) }
  mutating func button(_ pressed: Bool) { lamp.buttonSample(pressed: pressed, now: clock, effects: &effects) }
  mutating func connected() { lamp.connected(now: clock, effects: &effects) }
  mutating func disconnected() { lamp.disconnected(now: clock, effects: &effects) }
}
