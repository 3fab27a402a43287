import Tasmota

/// A message a simulated device publishes. Everything a Tasmota device publishes is QoS 0 (PubSubClient).
public struct SimulatorMessage: Sendable, Hashable, CustomStringConvertible {
  public var topic: String
  public var payload: String
  public var retain: Bool

  public init(topic: String, payload: String, retain: Bool = false) {
    self.topic = topic
    self.payload = payload
    self.retain = retain
  }

  public var description: String { "\(topic) \(payload)\(retain ? " (retained)" : "")" }
}

/// What a command did, for the log line and for the fault layer.
public enum SimulatorCommandOutcome: Sendable, Hashable {
  /// Relays switched (or were queried); the states reported, in order.
  case power(action: TasmotaPowerAction?, states: [TasmotaChannelState])
  /// A `Status` request answered with these STATUS topics' suffixes.
  case status([String])
  /// `State` answered on RESULT.
  case state
  /// A command this device does not know (`{"Command":"Unknown"}`), or a relay it does not have.
  case unknown
  /// Not addressed to this device; nothing is sent.
  case ignored
  /// A native lamp refused the command with this code (`SIGNATURE_REQUIRED`, `SIGNATURE_INVALID`, …).
  case refused(String)
}

/// The result of handling one message: what happened and what to publish, in order.
public struct SimulatorReply: Sendable, Hashable {
  public var outcome: SimulatorCommandOutcome
  public var messages: [SimulatorMessage]
  /// The command as received, e.g. `POWER2 TOGGLE`, for logs.
  public var command: String
}

/// One Tasmota device — or a native SmartLamp lamp (``SimulatorProfile/native``) — as a pure state machine: relays,
/// the replies to `cmnd/…` messages, the STATE, STATUS and discovery payloads. No I/O and no clock: callers pass
/// uptime and time in, so every output is testable.
public struct SimulatedDevice: Sendable {
  public let configuration: SimulatedDeviceConfiguration
  /// Relay states, relay 1 first. All relays start OFF, as after a cold boot with PowerOnState 0.
  public private(set) var relays: [TasmotaPower]
  /// Native profile: whether a connection was announced before (`boot`, then `reconnect`).
  var connectedBefore = false
  /// Native profile: the nonces of accepted envelopes, oldest first.
  var acceptedNonces: [String] = []

  public init(configuration: SimulatedDeviceConfiguration) {
    self.configuration = configuration
    relays = Array(repeating: .off, count: configuration.profile == .native ? 1 : configuration.relays)
  }

  mutating func setRelay(_ index: Int, _ power: TasmotaPower) { relays[index] = power }

  // MARK: - topics

  /// `tele/<t>/LWT` (`home/<t>/lwt` for a native lamp).
  public var lwtTopic: String {
    configuration.profile == .native ? "home/\(configuration.topic)/lwt" : configuration.topic(.telemetry, "LWT")
  }
  /// The filter this device subscribes to: `cmnd/<t>/#`.
  public var commandFilter: String { configuration.topic(.command, "#") }
  /// `tasmota/discovery/<MAC>/config`.
  public var discoveryTopic: String { "tasmota/discovery/\(configuration.mac)/config" }

  /// The Will the broker publishes when the device vanishes: `Offline` (`OFFLINE` native), retained.
  public var will: SimulatorMessage {
    SimulatorMessage(topic: lwtTopic, payload: configuration.profile == .native ? "OFFLINE" : "Offline", retain: true)
  }

  /// What the device publishes after each (re)connect: Tasmota's ``onlineMessages()``, or a native lamp's
  /// `ONLINE` and its retained status (`boot` the first time, `reconnect` after).
  public mutating func connectedMessages(nowMillis: Int64 = 0) -> [SimulatorMessage] {
    configuration.profile == .native ? nativeConnected(nowMillis: nowMillis) : onlineMessages()
  }

  /// Published after every (re)connect: LWT `Online` retained, then the retained discovery config.
  public func onlineMessages() -> [SimulatorMessage] {
    [
      SimulatorMessage(topic: lwtTopic, payload: "Online", retain: true),
      SimulatorMessage(topic: discoveryTopic, payload: discoveryPayload(), retain: true),
    ]
  }

  /// The key a relay is reported under: `POWER` on a plain single-relay device, else `POWER<n>`.
  public func channel(relay number: Int) -> TasmotaChannel {
    configuration.channels.count == 1 && configuration.channels[0] == .power
      ? .power : TasmotaChannel(index: number) ?? .power
  }

  public func power(of channel: TasmotaChannel) -> TasmotaPower? {
    let number = max(channel.index, 1)
    return number <= relays.count ? relays[number - 1] : nil
  }

  // MARK: - commands

  /// Handles a message received on the command filter. Unknown topics for other devices are ignored; commands
  /// are matched case-insensitively as the firmware does.
  public mutating func handle(
    topic: String, payload: [UInt8], uptimeSeconds: Int, time: String = "", nowMillis: Int64 = 0
  ) -> SimulatorReply {
    if configuration.profile == .native { return handleNative(topic: topic, payload: payload, nowMillis: nowMillis) }
    guard let parsed = TasmotaTopic.parse(topic), parsed.prefix == .command,
      parsed.deviceID == configuration.topic, parsed.order == configuration.order
    else { return SimulatorReply(outcome: .ignored, messages: [], command: topic) }
    let text = String(decoding: payload, as: UTF8.self)
    let argument = String(text.trimmingCharacters(in: " \t\r\n"))
    let name = parsed.suffix.uppercased()
    let command = argument.isEmpty ? name : "\(name) \(argument)"

    if name.hasPrefix("POWER") {
      guard var reply = handlePower(name: name, argument: argument) else {
        return SimulatorReply(outcome: .unknown, messages: [unknownCommand()], command: command)
      }
      reply.command = command
      return reply
    }
    switch name {
    case "STATUS":
      guard let messages = statusMessages(argument, uptimeSeconds: uptimeSeconds, time: time) else {
        return SimulatorReply(outcome: .unknown, messages: [unknownCommand()], command: command)
      }
      let suffixes = messages.map { String($0.topic.split(separator: "/").last ?? "") }
      return SimulatorReply(outcome: .status(suffixes), messages: messages, command: command)
    case "STATE":
      let state = statePayload(uptimeSeconds: uptimeSeconds, time: time)
      return SimulatorReply(
        outcome: .state, messages: [SimulatorMessage(topic: configuration.topic(.status, "RESULT"), payload: state)],
        command: command)
    default:
      return SimulatorReply(outcome: .unknown, messages: [unknownCommand()], command: command)
    }
  }

  /// `Power<x> <value>`: x empty → relay 1, 0 → all relays, 1 … n → that relay; value on/off/toggle (and their
  /// numeric forms), empty or `?` → query, anything else is answered like a query.
  private mutating func handlePower(name: String, argument: String) -> SimulatorReply? {
    let digits = name.dropFirst(5)
    let numbers: [Int]
    if digits.isEmpty {
      numbers = [1]
    } else if digits == "0" {
      numbers = Array(1...relays.count)
    } else {
      guard digits.count <= 2, digits.first != "0", let number = Int(digits), (1...relays.count).contains(number)
      else { return nil }
      numbers = [number]
    }
    let action = TasmotaPowerAction(command: argument)
    var messages: [SimulatorMessage] = []
    var states: [TasmotaChannelState] = []
    for number in numbers {
      switch action {
      case .on: relays[number - 1] = .on
      case .off: relays[number - 1] = .off
      case .toggle: relays[number - 1] = relays[number - 1] == .on ? .off : .on
      case nil: break
      }
      let channel = channel(relay: number)
      let power = relays[number - 1]
      states.append(TasmotaChannelState(channel, power))
      var result = JSONText()
      result.add(channel.name, power.rawValue)
      messages.append(SimulatorMessage(topic: configuration.topic(.status, "RESULT"), payload: result.closed))
      messages.append(SimulatorMessage(topic: configuration.topic(.status, channel.name), payload: power.rawValue))
    }
    return SimulatorReply(outcome: .power(action: action, states: states), messages: messages, command: "")
  }

  private func unknownCommand() -> SimulatorMessage {
    SimulatorMessage(topic: configuration.topic(.status, "RESULT"), payload: #"{"Command":"Unknown"}"#)
  }
}

extension String {
  fileprivate func trimmingCharacters(in set: String) -> Substring {
    let trimmed = drop { set.contains($0) }
    guard let last = trimmed.lastIndex(where: { !set.contains($0) }) else { return "" }
    return trimmed[...last]
  }
}
