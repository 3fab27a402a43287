import Crypto
import Tasmota

/// How a simulated device speaks: Tasmota, or the SmartLamp ESP32 firmware's native profile (issue #11).
public enum SimulatorProfile: String, Sendable, Hashable, CaseIterable {
  case tasmota
  case native
}

/// The native lamp's side of ``SimulatedDevice``, as the firmware behaves (`firmware/esp32-smartlamp/README.md`):
/// availability on `home/<id>/lwt` (`ONLINE`, Will `OFFLINE`), its state retained on `home/<id>/status` after every
/// connect, command and query, refusals on the same topic not retained. Commands come on `cmnd/<id>/POWER`: plain
/// `ON`/`OFF`/`TOGGLE` without a secret; with a secret only signed envelopes, checked like the firmware checks them
/// (device id, signature, expiry, lifetime, replayed nonce). No `stat/` replies: a server must understand the
/// native reports to see this lamp.
extension SimulatedDevice {
  /// Remembered nonces, as the firmware's replay memory (it keeps 32).
  static let nonceMemory = 32

  var nativeStatusTopic: String { "home/\(configuration.topic)/status" }

  /// `{"deviceId","power","ts"?,"reason","rssi","requestId"?,"error"?}` in the firmware's member order.
  func nativeStatus(reason: String, nowMillis: Int64, requestID: String? = nil, error: String? = nil) -> String {
    var json = JSONText()
    json.add("deviceId", configuration.topic)
    json.add("power", relays[0].rawValue)
    if nowMillis > 0 { json.add("ts", raw: String(nowMillis)) }
    json.add("reason", reason)
    json.add("rssi", signal)
    if let requestID { json.add("requestId", requestID) }
    if let error { json.add("error", error) }
    return json.closed
  }

  mutating func nativeConnected(nowMillis: Int64) -> [SimulatorMessage] {
    let reason = connectedBefore ? "reconnect" : "boot"
    connectedBefore = true
    return [
      SimulatorMessage(topic: lwtTopic, payload: "ONLINE", retain: true),
      SimulatorMessage(
        topic: nativeStatusTopic, payload: nativeStatus(reason: reason, nowMillis: nowMillis), retain: true),
    ]
  }

  mutating func handleNative(topic: String, payload: [UInt8], nowMillis: Int64) -> SimulatorReply {
    guard let parsed = TasmotaTopic.parse(topic), parsed.prefix == .command, parsed.deviceID == configuration.topic,
      parsed.normalisedSuffix == "POWER"
    else { return SimulatorReply(outcome: .ignored, messages: [], command: topic) }
    let text = String(decoding: payload, as: UTF8.self)
    let argument = String(text.filter { $0 != " " && $0 != "\t" && $0 != "\r" && $0 != "\n" })
    if argument.isEmpty || argument == "?" {
      return stateReply(reason: "query", action: nil, requestID: nil, nowMillis: nowMillis, command: "POWER")
    }
    if argument.hasPrefix("{") {
      return handleEnvelope(payload, nowMillis: nowMillis)
    }
    let command = "POWER \(argument)"
    guard configuration.secret == nil else {
      return refusal("SIGNATURE_REQUIRED", requestID: nil, nowMillis: nowMillis, command: command)
    }
    guard let action = TasmotaPowerAction(command: argument) else {
      return refusal("MALFORMED", requestID: nil, nowMillis: nowMillis, command: command)
    }
    return stateReply(reason: "command", action: action, requestID: nil, nowMillis: nowMillis, command: command)
  }

  private mutating func handleEnvelope(_ payload: [UInt8], nowMillis: Int64) -> SimulatorReply {
    guard let parsed = NativeEnvelope.parse(payload) else {
      return refusal("MALFORMED", requestID: nil, nowMillis: nowMillis, command: "POWER {envelope}")
    }
    let (envelope, signature) = parsed
    let command = "POWER \(envelope.action.rawValue) (signed \(envelope.requestID))"
    guard let secret = configuration.secret else {
      return refusal("NO_SECRET", requestID: envelope.requestID, nowMillis: nowMillis, command: command)
    }
    guard envelope.deviceID == configuration.topic else {
      return refusal("WRONG_DEVICE", requestID: envelope.requestID, nowMillis: nowMillis, command: command)
    }
    let mac = HMAC<SHA256>.authenticationCode(
      for: Array(envelope.canonical.utf8), using: SymmetricKey(data: Array(secret.utf8)))
    guard Self.constantTimeEqual(Array(NativeEnvelope.hex(mac).utf8), Array(signature.utf8)) else {
      return refusal("SIGNATURE_INVALID", requestID: envelope.requestID, nowMillis: nowMillis, command: command)
    }
    if nowMillis > 0 && envelope.expiresAt <= nowMillis {
      return refusal("EXPIRED", requestID: envelope.requestID, nowMillis: nowMillis, command: command)
    }
    guard !acceptedNonces.contains(envelope.nonce) else {
      return refusal("REPLAYED", requestID: envelope.requestID, nowMillis: nowMillis, command: command)
    }
    acceptedNonces.append(envelope.nonce)
    if acceptedNonces.count > Self.nonceMemory { acceptedNonces.removeFirst() }
    return stateReply(
      reason: "command", action: envelope.action, requestID: envelope.requestID, nowMillis: nowMillis, command: command)
  }

  private mutating func stateReply(
    reason: String, action: TasmotaPowerAction?, requestID: String?, nowMillis: Int64, command: String
  ) -> SimulatorReply {
    switch action {
    case .on: setRelay(0, .on)
    case .off: setRelay(0, .off)
    case .toggle: setRelay(0, relays[0] == .on ? .off : .on)
    case nil: break
    }
    let status = nativeStatus(reason: reason, nowMillis: nowMillis, requestID: requestID)
    return SimulatorReply(
      outcome: .power(action: action, states: [TasmotaChannelState(.power, relays[0])]),
      messages: [SimulatorMessage(topic: nativeStatusTopic, payload: status, retain: true)], command: command)
  }

  private func refusal(_ code: String, requestID: String?, nowMillis: Int64, command: String) -> SimulatorReply {
    let status = nativeStatus(reason: "refused", nowMillis: nowMillis, requestID: requestID, error: code)
    return SimulatorReply(
      outcome: .refused(code), messages: [SimulatorMessage(topic: nativeStatusTopic, payload: status)],
      command: command)
  }

  /// Compares MACs without an early exit on the first differing byte.
  static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
    return difference == 0
  }
}
