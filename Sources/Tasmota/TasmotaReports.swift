/// A power report: `stat/<id>/POWER<n>` or `stat/<id>/RESULT` with power keys.
public struct TasmotaPowerReport: Sendable, Hashable {
  public enum Source: String, Sendable, Hashable {
    /// `stat/<id>/POWER<n>` (upstream source `tasmota_stat_power`).
    case powerTopic = "tasmota_stat_power"
    /// `stat/<id>/RESULT` (upstream source `tasmota_stat_result`).
    case result = "tasmota_stat_result"
  }

  public var deviceID: String
  public var order: TasmotaTopicOrder
  public var source: Source
  /// Per-channel states, ordered by channel.
  public var states: [TasmotaChannelState]
  /// The channel named by a `POWER<n>` topic; nil for RESULT.
  public var topicChannel: TasmotaChannel?
  /// The parsed JSON payload when there was one (RESULT always, POWER<n> sometimes).
  public var json: TasmotaJSON?

  public init(
    deviceID: String, order: TasmotaTopicOrder, source: Source, states: [TasmotaChannelState],
    topicChannel: TasmotaChannel? = nil, json: TasmotaJSON? = nil
  ) {
    self.deviceID = deviceID
    self.order = order
    self.source = source
    self.states = states
    self.topicChannel = topicChannel
    self.json = json
  }

  /// The state of the first channel in channel order ("overall power", UPSTREAM §9.4).
  public var power: TasmotaPower? { TasmotaPowerStates.overall(states) }

  /// The reported state of one channel, if this report carries it.
  public func state(of channel: TasmotaChannel) -> TasmotaPower? {
    states.first { $0.channel == channel }?.power
  }
}

/// Periodic telemetry, `tele/<id>/STATE` (and the `StatusSTS` object of a status reply).
public struct TasmotaTelemetry: Sendable, Hashable {
  public var deviceID: String
  public var order: TasmotaTopicOrder
  /// Per-channel states, ordered by channel; may be empty (a STATE without relays).
  public var states: [TasmotaChannelState]
  /// Wi-Fi quality in percent (`Wifi.RSSI`, 0 … 100 in Tasmota's convention).
  public var rssi: Int?
  /// Wi-Fi signal in dBm (`Wifi.Signal`).
  public var signal: Int?
  /// Seconds since boot, from `UptimeSec` or parsed from `Uptime` (`1T02:03:04`).
  public var uptimeSeconds: Int?
  /// Free heap in kB (`Heap`).
  public var heap: Int?
  /// The device's local time text (`Time`), as sent.
  public var time: String?

  public init(
    deviceID: String, order: TasmotaTopicOrder = .prefixFirst, states: [TasmotaChannelState] = [],
    rssi: Int? = nil, signal: Int? = nil, uptimeSeconds: Int? = nil, heap: Int? = nil, time: String? = nil
  ) {
    self.deviceID = deviceID
    self.order = order
    self.states = states
    self.rssi = rssi
    self.signal = signal
    self.uptimeSeconds = uptimeSeconds
    self.heap = heap
    self.time = time
  }

  public var power: TasmotaPower? { TasmotaPowerStates.overall(states) }

  public func state(of channel: TasmotaChannel) -> TasmotaPower? {
    states.first { $0.channel == channel }?.power
  }

  /// Reads the telemetry fields of a STATE-shaped object.
  static func from(_ object: [String: TasmotaJSON], deviceID: String, order: TasmotaTopicOrder) -> TasmotaTelemetry {
    let json = TasmotaJSON.object(object)
    let wifi = json.member(caseInsensitive: "Wifi")
    let uptimeText = json.member(caseInsensitive: "Uptime")?.stringValue
    return TasmotaTelemetry(
      deviceID: deviceID,
      order: order,
      states: TasmotaPowerStates.extract(from: object),
      rssi: wifi?.member(caseInsensitive: "RSSI")?.intValue,
      signal: wifi?.member(caseInsensitive: "Signal")?.intValue,
      uptimeSeconds: json.member(caseInsensitive: "UptimeSec")?.intValue ?? uptimeText.flatMap(parseUptime),
      heap: json.member(caseInsensitive: "Heap")?.intValue,
      time: json.member(caseInsensitive: "Time")?.stringValue
    )
  }

  /// Parses Tasmota's `<days>T<hh>:<mm>:<ss>` uptime text into seconds.
  public static func parseUptime(_ text: String) -> Int? {
    let parts = text.split(separator: "T", maxSplits: 1, omittingEmptySubsequences: false)
    guard parts.count == 2, let days = Int(parts[0]), days >= 0, days < 1_000_000 else { return nil }
    let clock = parts[1].split(separator: ":", omittingEmptySubsequences: false)
    guard clock.count == 3, let hours = Int(clock[0]), let minutes = Int(clock[1]), let seconds = Int(clock[2]),
      (0..<24).contains(hours), (0..<60).contains(minutes), (0..<60).contains(seconds)
    else { return nil }
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds
  }
}

/// Availability from `tele/<id>/LWT`.
public struct TasmotaAvailability: Sendable, Hashable {
  public var deviceID: String
  public var order: TasmotaTopicOrder
  /// The trimmed, upper-cased payload (`ONLINE`, `OFFLINE`), as upstream reports it.
  public var text: String

  public init(deviceID: String, order: TasmotaTopicOrder, text: String) {
    self.deviceID = deviceID
    self.order = order
    self.text = text
  }

  /// true for `Online`, false for `Offline` (any case), nil for anything else.
  public var online: Bool? {
    switch text {
    case "ONLINE": true
    case "OFFLINE": false
    default: nil
    }
  }
}

/// The useful parts of a `stat/<id>/STATUS…` reply. `Status 0` yields several messages (STATUS, STATUS1 …
/// STATUS11), or one combined object on some firmware; each parses into this with the fields it carries.
public struct TasmotaStatus: Sendable, Hashable {
  public var deviceID: String
  public var order: TasmotaTopicOrder
  /// The number after STATUS in the topic (`STATUS11` → 11), nil for plain `STATUS`.
  public var number: Int?
  /// Power states from `Status.Power` and from `StatusSTS` (and top-level keys), ordered by channel.
  public var states: [TasmotaChannelState]
  /// `Status.Topic`: the device's MQTT topic.
  public var topic: String?
  public var deviceName: String?
  /// `Status.FriendlyName`: one per relay (a single string on old firmware).
  public var friendlyNames: [String]
  /// `StatusFWR.Version`.
  public var firmware: String?
  /// `StatusNET.Hostname`, `IPAddress`, `Mac`.
  public var hostname: String?
  public var ipAddress: String?
  public var mac: String?
  /// `StatusSTS` telemetry, when present.
  public var telemetry: TasmotaTelemetry?

  public init(deviceID: String, order: TasmotaTopicOrder, number: Int?) {
    self.deviceID = deviceID
    self.order = order
    self.number = number
    self.states = []
    self.friendlyNames = []
  }

  public var power: TasmotaPower? { TasmotaPowerStates.overall(states) }

  /// The first non-empty friendly name (UPSTREAM §9.8).
  public var friendlyName: String? { friendlyNames.first { !$0.isEmpty } }
}
