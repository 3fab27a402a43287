import Tasmota

/// Who a simulated device is: its Tasmota topic, names, relays, addresses, teleperiod and injected faults.
public struct SimulatedDeviceConfiguration: Sendable, Hashable {
  /// The Tasmota `Topic`, i.e. the device id on the wire.
  public var topic: String
  /// `DeviceName`, and the base of the per-relay friendly names.
  public var friendlyName: String
  /// Number of relays, 1 … 32.
  public var relays: Int
  /// 12 upper-case hex digits.
  public var mac: String
  public var ipAddress: String
  public var firmware: String = "14.3.0(simulated)"
  /// FullTopic order: `%prefix%/%topic%/` (the default) or `%topic%/%prefix%/`.
  public var order: TasmotaTopicOrder = .prefixFirst
  /// SetOption26: a single-relay device reports `POWER1` instead of `POWER`.
  public var indexSingleRelay = false
  /// Interval of `tele/<t>/STATE`; Tasmota's default is 300 s.
  public var teleperiod: Duration = .seconds(300)
  /// Reply latency and drop rate.
  public var faults = FaultPolicy()
  /// Tasmota, or the SmartLamp firmware's native profile (one relay, `home/<t>/status` and `home/<t>/lwt`).
  public var profile: SimulatorProfile = .tasmota
  /// A native lamp with a secret takes only signed envelopes (the key is the secret's UTF-8 bytes).
  public var secret: String?

  /// A configuration with explicit identity.
  public init(topic: String, friendlyName: String, relays: Int, mac: String, ipAddress: String) {
    self.topic = topic
    self.friendlyName = friendlyName
    self.relays = min(max(relays, 1), TasmotaChannel.maximumIndex)
    self.mac = TasmotaDiscoveryConfig.normaliseMAC(mac) ?? "02534C000000"
    self.ipAddress = ipAddress
  }

  /// The `index`-th device (1-based) of a fleet named `prefix`: topic `<prefix>_<6 hex digits of index>` like
  /// Tasmota's `tasmota_XXXXXX`, a locally administered MAC that also encodes the prefix (so two fleets with
  /// different prefixes never share a client id), and an address in 10.77.0.0/16.
  public init(index: Int, prefix: String = "tasmota", relays: Int = 1) {
    let tail = UInt32(truncatingIfNeeded: max(index, 0)) & 0xFF_FFFF
    let tailHex = hex(UInt64(tail), digits: 6)
    let prefixByte = prefix.utf8.reduce(UInt8(0x11)) { $0 &* 31 &+ $1 }
    let fullMAC = "02" + hex(UInt64(prefixByte), digits: 2) + "4C" + tailHex
    self.init(
      topic: "\(prefix)_\(tailHex)", friendlyName: "\(prefix) \(index)", relays: relays, mac: fullMAC,
      ipAddress: "10.77.\((tail >> 8) & 0xFF).\(tail & 0xFF)")
  }

  /// Salts fault decisions and spreads telemetry: the MAC as a number.
  public var faultSalt: UInt64 { UInt64(mac, radix: 16) ?? 0 }

  /// The Tasmota `MqttClient` id, `DVES_<MAC>`: unique per simulated device.
  public var clientID: String { "DVES_\(mac)" }

  /// Channels this device answers on: `POWER` for one relay (unless SetOption26), else `POWER1…POWERn`.
  public var channels: [TasmotaChannel] {
    if relays == 1 && !indexSingleRelay { return [.power] }
    return (1...relays).compactMap { TasmotaChannel(index: $0) }
  }

  /// The friendly name of relay `number` (1-based): the device name, then `<name> 2`, `<name> 3` …
  public func friendlyName(relay number: Int) -> String {
    number == 1 ? friendlyName : "\(friendlyName) \(number)"
  }

  /// A topic of this device in its FullTopic order.
  public func topic(_ prefix: TasmotaPrefix, _ suffix: String) -> String {
    TasmotaTopic(prefix: prefix, deviceID: topic, suffix: suffix, order: order).string
  }
}

func hex(_ value: UInt64, digits: Int) -> String {
  let text = String(value, radix: 16, uppercase: true)
  return String(repeating: "0", count: max(0, digits - text.count)) + text.suffix(digits)
}
