/// One MQTT message, classified. ``TasmotaMessage/parse(topic:payload:)-([UInt8])`` never throws and never traps.
public enum TasmotaMessage: Sendable, Hashable {
  /// `stat/<id>/POWER<n>` or `stat/<id>/RESULT` carrying power states.
  case power(TasmotaPowerReport)
  /// `tele/<id>/STATE`.
  case telemetry(TasmotaTelemetry)
  /// `tele/<id>/LWT`.
  case availability(TasmotaAvailability)
  /// `stat/<id>/STATUS` and `stat/<id>/STATUS<n>`.
  case status(TasmotaStatus)
  /// Retained `tasmota/discovery/<MAC>/config`.
  case discovery(TasmotaDiscoveryConfig)
  /// An empty retained `tasmota/discovery/<MAC>/config`: the device withdrew itself (SetOption19 1 or removal).
  case discoveryRemoved(mac: String)
  /// Not a report we use: other topics, our own `cmnd/…` traffic, RESULT without power keys, INFO, SENSOR …
  case notForUs
  /// A report we use whose payload is unusable.
  case malformed(TasmotaParseError)

  /// Payloads above this size are rejected unread. Tasmota's own MQTT buffer is 1200 bytes (1000 on old
  /// firmware); a discovery config is about 1 kB; 64 kB leaves ample room.
  public static let maximumPayloadSize = 64 * 1024

  /// Classifies a message from its topic and raw payload bytes.
  public static func parse(topic: String, payload: [UInt8]) -> TasmotaMessage {
    if let discovery = TasmotaDiscoveryTopic(topic) {
      return parseDiscovery(discovery, payload: payload)
    }
    guard let parsed = TasmotaTopic.parse(topic) else { return .notForUs }
    guard payload.count <= maximumPayloadSize else {
      return .malformed(TasmotaParseError(.payloadTooLarge, "payload of \(payload.count) bytes"))
    }
    switch parsed.prefix {
    case .command:
      return .notForUs
    case .status:
      return parseStat(parsed, payload: payload)
    case .telemetry:
      switch parsed.normalisedSuffix {
      case "STATE": return parseState(parsed, payload: payload)
      case "LWT": return parseLWT(parsed, payload: payload)
      default: return .notForUs
      }
    }
  }

  /// Classifies a message whose payload is already text.
  public static func parse(topic: String, payload: String) -> TasmotaMessage {
    parse(topic: topic, payload: Array(payload.utf8))
  }

  // MARK: - stat

  private static func parseStat(_ topic: TasmotaTopic, payload: [UInt8]) -> TasmotaMessage {
    let suffix = topic.normalisedSuffix
    if suffix == "RESULT" { return parseResult(topic, payload: payload) }
    if suffix.hasPrefix("POWER") {
      guard let channel = TasmotaChannel(parsing: suffix) else { return .notForUs }
      return parsePowerTopic(topic, channel: channel, payload: payload)
    }
    if suffix.hasPrefix("STATUS") {
      let digits = suffix.dropFirst(6)
      if digits.isEmpty { return parseStatus(topic, number: nil, payload: payload) }
      guard digits.count <= 2, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(digits) else {
        return .notForUs
      }
      return parseStatus(topic, number: number, payload: payload)
    }
    return .notForUs
  }

  private static func parsePowerTopic(
    _ topic: TasmotaTopic, channel: TasmotaChannel, payload: [UInt8]
  ) -> TasmotaMessage {
    guard let text = String(validating: payload, as: UTF8.self) else {
      return .malformed(TasmotaParseError(.invalidUTF8, "\(topic.suffix) payload is not UTF-8"))
    }
    let trimmed = text.trimmingASCIIWhitespace()
    guard !trimmed.isEmpty else {
      return .malformed(TasmotaParseError(.emptyPayload, "\(topic.suffix) report without a value"))
    }
    // Some setups (SetOption4 with JSON payloads) put {"POWER2":"ON"} on the POWER topic itself.
    if trimmed.first == "{", let json = TasmotaJSON.parse(payload), let object = json.objectValue, !object.isEmpty {
      let states = TasmotaPowerStates.extract(from: object)
      guard !states.isEmpty else {
        return .malformed(TasmotaParseError(.noPowerState, "\(topic.suffix) JSON without power keys"))
      }
      return .power(
        TasmotaPowerReport(
          deviceID: topic.deviceID, order: topic.order, source: .powerTopic, states: states, topicChannel: channel,
          json: json))
    }
    guard let power = TasmotaPower(switchValue: trimmed) else {
      return .malformed(TasmotaParseError(.notASwitchValue, "\(topic.suffix) value is not ON/OFF/1/0"))
    }
    return .power(
      TasmotaPowerReport(
        deviceID: topic.deviceID, order: topic.order, source: .powerTopic,
        states: [TasmotaChannelState(channel, power)], topicChannel: channel))
  }

  private static func parseResult(_ topic: TasmotaTopic, payload: [UInt8]) -> TasmotaMessage {
    guard let json = TasmotaJSON.parse(payload), let object = json.objectValue else {
      // RESULT also carries non-JSON console output on old firmware; that is not a power report.
      return .notForUs
    }
    let states = TasmotaPowerStates.extract(from: object)
    guard !states.isEmpty else { return .notForUs }
    return .power(
      TasmotaPowerReport(deviceID: topic.deviceID, order: topic.order, source: .result, states: states, json: json))
  }

  // MARK: - tele

  private static func parseState(_ topic: TasmotaTopic, payload: [UInt8]) -> TasmotaMessage {
    guard !payload.isEmpty else {
      return .malformed(TasmotaParseError(.emptyPayload, "STATE without a payload"))
    }
    guard let object = TasmotaJSON.parse(payload)?.objectValue else {
      return .malformed(TasmotaParseError(.invalidJSON, "STATE is not a JSON object"))
    }
    return .telemetry(TasmotaTelemetry.from(object, deviceID: topic.deviceID, order: topic.order))
  }

  private static func parseLWT(_ topic: TasmotaTopic, payload: [UInt8]) -> TasmotaMessage {
    guard let text = String(validating: payload, as: UTF8.self) else {
      return .malformed(TasmotaParseError(.invalidUTF8, "LWT payload is not UTF-8"))
    }
    let normalised = text.trimmingASCIIWhitespace().uppercased()
    guard !normalised.isEmpty else {
      // An empty retained LWT is how a broker entry is cleared; there is no state in it.
      return .malformed(TasmotaParseError(.emptyPayload, "LWT without a value"))
    }
    return .availability(TasmotaAvailability(deviceID: topic.deviceID, order: topic.order, text: normalised))
  }
}
