/// `tasmota/discovery/<MAC>/config`, where `<MAC>` is the 12-hex-digit MAC without colons.
struct TasmotaDiscoveryTopic {
  let mac: String

  init?(_ topic: String) {
    guard topic.utf8.starts(with: "tasmota/discovery/".utf8) else { return nil }
    let segments = topic.split(separator: "/", omittingEmptySubsequences: false)
    guard segments.count == 4, segments[0] == "tasmota", segments[1] == "discovery", segments[3] == "config",
      let mac = TasmotaDiscoveryConfig.normaliseMAC(segments[2])
    else { return nil }
    self.mac = mac
  }
}

/// Tasmota's native discovery config (firmware `xdrv_12_discovery.ino` keys), the retained message every device
/// publishes at boot. Field names follow the firmware, not the preliminary format in the Tasmota docs.
public struct TasmotaDiscoveryConfig: Sendable, Hashable {
  /// The MAC as 12 upper-case hex digits (`mac`; equal to the MAC in the topic).
  public var mac: String
  /// `ip`.
  public var ipAddress: String?
  /// `dn`: DeviceName.
  public var deviceName: String?
  /// `fn`: one FriendlyName per output, `nil` for unused slots.
  public var friendlyNames: [String?]
  /// `hn`: hostname.
  public var hostname: String?
  /// `md`: module or template name.
  public var module: String?
  /// `sw`: firmware version.
  public var firmware: String?
  /// `t`: the device's Topic, i.e. its id on the wire.
  public var topic: String
  /// `ft`: the FullTopic template, e.g. `%prefix%/%topic%/`.
  public var fullTopic: String
  /// `tp`: the three prefixes (cmnd, stat, tele) as configured.
  public var prefixes: [String]
  /// `rl`: output type per slot: 0 none, 1 relay, 2 light, 3 shutter.
  public var relayTypes: [Int]
  /// `onln` / `ofln`: LWT payloads.
  public var onlinePayload: String?
  public var offlinePayload: String?
  /// `state`: the texts for OFF, ON, TOGGLE, HOLD.
  public var stateTexts: [String]
  /// `so`: selected SetOptions by number.
  public var setOptions: [String: Int]
  /// `lt_st`: light subtype 0 … 5.
  public var lightSubtype: Int?
  /// `ver`: discovery format version (1).
  public var version: Int?

  public init(
    mac: String, topic: String, fullTopic: String = "%prefix%/%topic%/", prefixes: [String] = ["cmnd", "stat", "tele"],
    relayTypes: [Int] = [], friendlyNames: [String?] = []
  ) {
    self.mac = mac
    self.topic = topic
    self.fullTopic = fullTopic
    self.prefixes = prefixes
    self.relayTypes = relayTypes
    self.friendlyNames = friendlyNames
    self.stateTexts = []
    self.setOptions = [:]
  }

  /// The relay channels of this device: slots typed relay (1) or light (2). A device with one such output
  /// addresses it as `POWER` unless SetOption26 is on; otherwise slot i is `POWER<i+1>`.
  public var channels: [TasmotaChannel] {
    let used = relayTypes.prefix(TasmotaChannel.maximumIndex).enumerated().filter { $0.element == 1 || $0.element == 2 }
    if used.count == 1, setOptions["26"] != 1 { return [.power] }
    return used.compactMap { TasmotaChannel(index: $0.offset + 1) }
  }

  /// The friendly name of a channel: `fn[i-1]` for `POWER<i>`, `fn[0]` (or the device name) for `POWER`.
  public func friendlyName(for channel: TasmotaChannel) -> String? {
    let slot = max(channel.index, 1) - 1
    if slot < friendlyNames.count, let name = friendlyNames[slot], !name.isEmpty { return name }
    return channel == .power ? deviceName : nil
  }

  /// Renders the FullTopic for a prefix and a last segment: `%prefix%`, `%topic%`, `%hostname%` and `%id%` are
  /// replaced, then the suffix is appended (`cmnd/tasmota_ABC123/POWER2`).
  public func topic(_ prefix: TasmotaPrefix, _ suffix: String) -> String {
    let prefixText: String
    switch prefix {
    case .command: prefixText = prefixes.count > 0 ? prefixes[0] : "cmnd"
    case .status: prefixText = prefixes.count > 1 ? prefixes[1] : "stat"
    case .telemetry: prefixText = prefixes.count > 2 ? prefixes[2] : "tele"
    }
    var rendered =
      fullTopic
      .replacingAll("%prefix%", with: prefixText)
      .replacingAll("%topic%", with: topic)
      .replacingAll("%hostname%", with: hostname ?? "")
      .replacingAll("%id%", with: mac)
    if !rendered.hasSuffix("/") { rendered += "/" }
    return rendered + suffix
  }

  /// The command topic of one channel under this device's FullTopic.
  public func commandTopic(for channel: TasmotaChannel) -> String { topic(.command, channel.name) }

  /// Whether the FullTopic is one of the two three-segment orders our topic grammar reads, and which.
  public var topicOrder: TasmotaTopicOrder? {
    switch fullTopic {
    case "%prefix%/%topic%/", "%prefix%/%topic%": .prefixFirst
    case "%topic%/%prefix%/", "%topic%/%prefix%": .topicFirst
    default: nil
    }
  }

  /// Upper-case 12-hex-digit MAC from `AABBCCDDEEFF`, `aa:bb:cc:dd:ee:ff` or `aa-bb-…`; nil otherwise.
  public static func normaliseMAC(_ text: some StringProtocol) -> String? {
    let digits = String(text.filter { $0 != ":" && $0 != "-" }).uppercased()
    guard digits.count == 12, digits.allSatisfy({ $0.isHexDigit && $0.isASCII }) else { return nil }
    return digits
  }
}

extension TasmotaMessage {
  static func parseDiscovery(_ topic: TasmotaDiscoveryTopic, payload: [UInt8]) -> TasmotaMessage {
    if payload.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
      return .discoveryRemoved(mac: topic.mac)
    }
    guard payload.count <= maximumPayloadSize else {
      return .malformed(TasmotaParseError(.payloadTooLarge, "discovery config of \(payload.count) bytes"))
    }
    guard let json = TasmotaJSON.parse(payload), json.objectValue != nil else {
      return .malformed(TasmotaParseError(.invalidJSON, "discovery config is not a JSON object"))
    }
    guard let macText = json["mac"]?.stringValue, let mac = TasmotaDiscoveryConfig.normaliseMAC(macText) else {
      return .malformed(TasmotaParseError(.missingField, "discovery config without a valid mac"))
    }
    guard mac == topic.mac else {
      return .malformed(TasmotaParseError(.macMismatch, "discovery mac \(mac) differs from topic \(topic.mac)"))
    }
    guard let deviceTopic = json["t"]?.stringValue, !deviceTopic.isEmpty else {
      return .malformed(TasmotaParseError(.missingField, "discovery config without a topic (t)"))
    }
    guard let fullTopic = json["ft"]?.stringValue, !fullTopic.isEmpty else {
      return .malformed(TasmotaParseError(.missingField, "discovery config without a full topic (ft)"))
    }
    var prefixes = ["cmnd", "stat", "tele"]
    if let tp = json["tp"] {
      guard let list = tp.arrayValue?.compactMap(\.stringValue), list.count == 3 else {
        return .malformed(TasmotaParseError(.missingField, "discovery prefixes (tp) are not three strings"))
      }
      prefixes = list
    }
    var config = TasmotaDiscoveryConfig(
      mac: mac, topic: deviceTopic, fullTopic: fullTopic, prefixes: prefixes,
      relayTypes: json["rl"]?.arrayValue?.map { $0.intValue ?? 0 } ?? [],
      friendlyNames: json["fn"]?.arrayValue?.map(\.stringValue) ?? [])
    config.ipAddress = json["ip"]?.stringValue
    config.deviceName = json["dn"]?.stringValue
    config.hostname = json["hn"]?.stringValue
    config.module = json["md"]?.stringValue
    config.firmware = json["sw"]?.stringValue
    config.onlinePayload = json["onln"]?.stringValue
    config.offlinePayload = json["ofln"]?.stringValue
    config.stateTexts = json["state"]?.arrayValue?.compactMap(\.stringValue) ?? []
    config.setOptions = json["so"]?.objectValue?.compactMapValues(\.intValue) ?? [:]
    config.lightSubtype = json["lt_st"]?.intValue
    config.version = json["ver"]?.intValue
    return .discovery(config)
  }
}

extension String {
  /// Plain substring replacement without Foundation, for FullTopic rendering.
  func replacingAll(_ token: String, with replacement: String) -> String {
    guard !token.isEmpty, contains(token) else { return self }
    var result = ""
    var rest = self[...]
    while let range = rest.firstRange(of: token) {
      result += rest[..<range.lowerBound]
      result += replacement
      rest = rest[range.upperBound...]
    }
    return result + rest
  }
}
