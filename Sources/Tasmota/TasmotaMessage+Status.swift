extension TasmotaMessage {
  /// `stat/<id>/STATUS…`: merges the objects a status reply may carry (`Status`, `StatusFWR`, `StatusNET`,
  /// `StatusSTS`), whether they come one per message or combined.
  static func parseStatus(_ topic: TasmotaTopic, number: Int?, payload: [UInt8]) -> TasmotaMessage {
    guard !payload.isEmpty else {
      return .malformed(TasmotaParseError(.emptyPayload, "\(topic.suffix) without a payload"))
    }
    guard let root = TasmotaJSON.parse(payload), let object = root.objectValue else {
      return .malformed(TasmotaParseError(.invalidJSON, "\(topic.suffix) is not a JSON object"))
    }
    var status = TasmotaStatus(deviceID: topic.deviceID, order: topic.order, number: number)
    var states: [TasmotaChannel: TasmotaPower] = [:]

    if let main = root.member(caseInsensitive: "Status") {
      status.topic = main.member(caseInsensitive: "Topic")?.stringValue
      status.deviceName = main.member(caseInsensitive: "DeviceName")?.stringValue
      switch main.member(caseInsensitive: "FriendlyName") {
      case .string(let name): status.friendlyNames = [name]
      case .array(let names): status.friendlyNames = names.compactMap(\.stringValue)
      default: break
      }
      if let power = main.member(caseInsensitive: "Power") {
        for state in statusPower(power, relays: status.friendlyNames.count) { states[state.channel] = state.power }
      }
    }
    if let firmware = root.member(caseInsensitive: "StatusFWR") {
      status.firmware = firmware.member(caseInsensitive: "Version")?.stringValue
    }
    if let network = root.member(caseInsensitive: "StatusNET") {
      status.hostname = network.member(caseInsensitive: "Hostname")?.stringValue
      status.ipAddress = network.member(caseInsensitive: "IPAddress")?.stringValue
      status.mac = network.member(caseInsensitive: "Mac")?.stringValue
    }
    if let sts = root.member(caseInsensitive: "StatusSTS")?.objectValue {
      let telemetry = TasmotaTelemetry.from(sts, deviceID: topic.deviceID, order: topic.order)
      status.telemetry = telemetry
      for state in telemetry.states { states[state.channel] = state.power }
    }
    // STATUS11 on some firmware puts the POWER keys at the top level.
    for state in TasmotaPowerStates.extract(from: object) { states[state.channel] = state.power }
    status.states = states.map { TasmotaChannelState($0.key, $0.value) }.sorted { $0.channel < $1.channel }
    return .status(status)
  }

  /// `Status.Power` has had three shapes: an integer bitmask (bit 0 = relay 1), and since Tasmota 14 a binary
  /// string printed most significant relay first (`"011"`: relays 1 and 2 on, relay 3 off). With one relay either
  /// shape is just that relay's switch value.
  static func statusPower(_ value: TasmotaJSON, relays: Int) -> [TasmotaChannelState] {
    switch value {
    case .string(let text):
      let bits = text.trimmingASCIIWhitespace()
      guard bits.count > 1, bits.count <= TasmotaChannel.maximumIndex, bits.allSatisfy({ $0 == "0" || $0 == "1" })
      else {
        return TasmotaPower(switchValue: text).map { [TasmotaChannelState(.power, $0)] } ?? []
      }
      return bits.reversed().enumerated().compactMap { offset, bit in
        TasmotaChannel(index: offset + 1).map { TasmotaChannelState($0, bit == "1" ? .on : .off) }
      }
    case .number:
      guard relays > 1, let mask = value.intValue, mask >= 0 else {
        return TasmotaPower(json: value).map { [TasmotaChannelState(.power, $0)] } ?? []
      }
      return (1...min(relays, TasmotaChannel.maximumIndex)).compactMap { index in
        TasmotaChannel(index: index).map { TasmotaChannelState($0, mask & (1 << (index - 1)) != 0 ? .on : .off) }
      }
    default:
      return TasmotaPower(json: value).map { [TasmotaChannelState(.power, $0)] } ?? []
    }
  }
}
