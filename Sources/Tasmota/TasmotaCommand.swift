/// What a command asks a relay to do.
public enum TasmotaPowerAction: String, Sendable, Hashable, CaseIterable {
  case on = "ON"
  case off = "OFF"
  case toggle = "TOGGLE"

  /// Accepts the Power command values Tasmota accepts: `on/1/true`, `off/0/false`, `toggle/2`, in any case.
  public init?(command text: some StringProtocol) {
    switch text.trimmingASCIIWhitespace().uppercased() {
    case "ON", "1", "TRUE": self = .on
    case "OFF", "0", "FALSE": self = .off
    case "TOGGLE", "2": self = .toggle
    default: return nil
    }
  }

  /// The state a report must show to acknowledge this action; nil for toggle, whose outcome depends on the device.
  public var expectedPower: TasmotaPower? {
    switch self {
    case .on: .on
    case .off: .off
    case .toggle: nil
    }
  }

  /// The payload to publish (plain text, never retained).
  public var payload: String { rawValue }
}

/// Topics and payloads we publish to devices.
public enum TasmotaCommand {
  /// `cmnd/<id>/<CHANNEL>`, e.g. `cmnd/lampu-teras/POWER2`.
  public static func topic(
    deviceID: String, channel: TasmotaChannel, order: TasmotaTopicOrder = .prefixFirst
  ) -> String {
    TasmotaTopic(prefix: .command, deviceID: deviceID, suffix: channel.name, order: order).string
  }

  /// The topic and payload that switch one channel. Publish at QoS 1 and never retained (ghost switching).
  public static func power(
    deviceID: String, channel: TasmotaChannel, action: TasmotaPowerAction, order: TasmotaTopicOrder = .prefixFirst
  ) -> (topic: String, payload: String) {
    (topic(deviceID: deviceID, channel: channel, order: order), action.payload)
  }

  /// A state query: the channel's command topic with an empty payload; the device answers on RESULT and POWER<n>.
  public static func powerQuery(
    deviceID: String, channel: TasmotaChannel = .power, order: TasmotaTopicOrder = .prefixFirst
  ) -> (topic: String, payload: String) {
    (topic(deviceID: deviceID, channel: channel, order: order), "")
  }

  /// `cmnd/<id>/STATUS` with payload `0`: the full status dump used by discovery.
  public static func statusQuery(
    deviceID: String, order: TasmotaTopicOrder = .prefixFirst
  ) -> (topic: String, payload: String) {
    (TasmotaTopic(prefix: .command, deviceID: deviceID, suffix: "STATUS", order: order).string, "0")
  }
}

/// Subscription filter lists (UPSTREAM §9.3), both FullTopic orders.
public enum TasmotaSubscriptions {
  /// Retained native-discovery configs.
  public static let discoveryConfig = "tasmota/discovery/+/config"

  /// The 24 realtime filters: POWER, POWER1…POWER8, RESULT, STATE and LWT in both orders.
  public static let realtime: [String] = {
    var suffixes: [(TasmotaPrefix, String)] = [(.status, "POWER")]
    suffixes += (1...8).map { (.status, "POWER\($0)") }
    suffixes += [(.status, "RESULT"), (.telemetry, "STATE"), (.telemetry, "LWT")]
    return filters(suffixes)
  }()

  /// The discovery filters: realtime plus STATUS and STATUS11 in both orders (28).
  public static let discovery: [String] = realtime + filters([(.status, "STATUS"), (.status, "STATUS11")])

  /// Everything a server needs with any number of relays: every `stat` and `tele` report in both orders, and the
  /// discovery configs. The parser sorts out what matters.
  public static let all: [String] = ["stat/+/+", "+/stat/+", "tele/+/+", "+/tele/+", discoveryConfig]

  private static func filters(_ suffixes: [(TasmotaPrefix, String)]) -> [String] {
    suffixes.flatMap { prefix, suffix in
      ["\(prefix.rawValue)/+/\(suffix)", "+/\(prefix.rawValue)/\(suffix)"]
    }
  }
}
