// The lamp core's C-callable surface for the ESP-IDF layer (declared in lamp_core.h). Compiled together with
// Sources/LampCore/*.swift as one Embedded Swift module, with lamp_port.h as the bridging header.

/// The one lamp of this device; only the lamp task touches it.
nonisolated(unsafe) var deviceLamp: Lamp? = nil

/// The core's actions, carried out by the C functions of lamp_port.h.
struct PortEffects: LampEffects {
  mutating func setRelay(_ on: Bool) { lamp_port_set_relay(on) }

  mutating func publish(topic: borrowing TopicBuffer, payload: borrowing PayloadBuffer, qos: UInt8, retain: Bool) {
    let name = terminated(topic)
    payload.withUnsafeBytes { payloadBytes in
      name.withUnsafeBytes { topicBytes in
        topicBytes.withMemoryRebound(to: CChar.self) { text in
          lamp_port_publish(text.baseAddress, payloadBytes.baseAddress, payloadBytes.count, qos, retain)
        }
      }
    }
  }

  mutating func subscribe(topic: borrowing TopicBuffer, qos: UInt8) {
    let name = terminated(topic)
    name.withUnsafeBytes { bytes in
      bytes.withMemoryRebound(to: CChar.self) { lamp_port_subscribe($0.baseAddress, qos) }
    }
  }

  mutating func persist(record: borrowing FixedBytes<16>) {
    record.withUnsafeBytes { lamp_port_persist($0.baseAddress, $0.count) }
  }

  mutating func scheduleReconnect(afterMs: UInt32) { lamp_port_schedule_reconnect(afterMs) }
  mutating func connect() { lamp_port_connect() }

  func terminated(_ topic: borrowing TopicBuffer) -> FixedBytes<161> {
    var name = FixedBytes<161>()
    name.append(topic)
    name.append(0)
    return name
  }
}

/// Copies a NUL-terminated C string of at most `capacity` bytes (longer ones come back overflowed).
func copyCString<let capacity: Int>(_ text: UnsafePointer<CChar>?) -> FixedBytes<capacity> {
  var out = FixedBytes<capacity>()
  guard let text else { return out }
  var index = 0
  while index <= capacity {
    let byte = UInt8(bitPattern: text[index])
    if byte == 0 { break }
    out.append(byte)
    index += 1
  }
  return out
}

@_cdecl("lamp_core_init")
public func lampCoreInit(
  _ deviceId: UnsafePointer<CChar>?, _ secret: UnsafePointer<CChar>?, _ restorePolicy: UInt8, _ seed: UInt64
) -> Int32 {
  var config = LampConfig(deviceId: copyCString(deviceId), secret: copyCString(secret))
  config.restorePolicy = RestorePolicy(rawValue: restorePolicy) ?? .last
  do {
    try config.validate()
  } catch {
    switch error {
    case .deviceIdInvalid: return -1
    case .secretTooLong: return -2
    case .timingInvalid: return -3
    }
  }
  deviceLamp = Lamp(config: config, seed: seed)
  return 0
}

@_cdecl("lamp_core_boot")
public func lampCoreBoot(_ record: UnsafePointer<UInt8>?, _ length: Int, _ monoMs: UInt32, _ wallMs: UInt64) {
  var effects = PortEffects()
  let bytes = UnsafeBufferPointer(start: record, count: record == nil ? 0 : length)
  deviceLamp?.boot(restoring: bytes.span, now: LampTime(monotonicMs: monoMs, wallMs: wallMs), effects: &effects)
}

@_cdecl("lamp_core_network_up")
public func lampCoreNetworkUp(_ monoMs: UInt32, _ wallMs: UInt64) {
  var effects = PortEffects()
  deviceLamp?.networkUp(now: LampTime(monotonicMs: monoMs, wallMs: wallMs), effects: &effects)
}

@_cdecl("lamp_core_connected")
public func lampCoreConnected(_ monoMs: UInt32, _ wallMs: UInt64) {
  var effects = PortEffects()
  deviceLamp?.connected(now: LampTime(monotonicMs: monoMs, wallMs: wallMs), effects: &effects)
}

@_cdecl("lamp_core_disconnected")
public func lampCoreDisconnected(_ monoMs: UInt32, _ wallMs: UInt64) {
  var effects = PortEffects()
  deviceLamp?.disconnected(now: LampTime(monotonicMs: monoMs, wallMs: wallMs), effects: &effects)
}

@_cdecl("lamp_core_message")
public func lampCoreMessage(
  _ topic: UnsafePointer<CChar>?, _ topicLength: Int, _ payload: UnsafePointer<UInt8>?, _ payloadLength: Int,
  _ monoMs: UInt32, _ wallMs: UInt64
) {
  guard let topic else { return }
  var effects = PortEffects()
  topic.withMemoryRebound(to: UInt8.self, capacity: topicLength) { topicStart in
    let topicBytes = UnsafeBufferPointer(start: topicStart, count: topicLength)
    let payloadBytes = UnsafeBufferPointer(start: payload, count: payload == nil ? 0 : payloadLength)
    deviceLamp?.message(
      topic: topicBytes.span, payload: payloadBytes.span, now: LampTime(monotonicMs: monoMs, wallMs: wallMs),
      effects: &effects)
  }
}

@_cdecl("lamp_core_button")
public func lampCoreButton(_ pressed: Bool, _ monoMs: UInt32, _ wallMs: UInt64) {
  var effects = PortEffects()
  deviceLamp?.buttonSample(pressed: pressed, now: LampTime(monotonicMs: monoMs, wallMs: wallMs), effects: &effects)
}

@_cdecl("lamp_core_tick")
public func lampCoreTick(_ monoMs: UInt32, _ wallMs: UInt64) {
  var effects = PortEffects()
  deviceLamp?.tick(now: LampTime(monotonicMs: monoMs, wallMs: wallMs), effects: &effects)
}

@_cdecl("lamp_core_set_rssi")
public func lampCoreSetRSSI(_ rssi: Int16, _ known: Bool) {
  deviceLamp?.setSignalStrength(known ? rssi : nil)
}

@_cdecl("lamp_core_will_topic")
public func lampCoreWillTopic(_ out: UnsafeMutablePointer<CChar>?, _ capacity: Int) -> Int {
  guard let out, let topic = deviceLamp?.willTopic, topic.count < capacity else { return 0 }
  for index in 0..<topic.count { out[index] = CChar(bitPattern: topic[index]) }
  out[topic.count] = 0
  return topic.count
}

@_cdecl("lamp_core_power")
public func lampCorePower() -> Bool { deviceLamp?.power ?? false }
