import SmartLampCore
import Tasmota

/// A relay's last reported state.
struct ChannelReading: Sendable, Hashable {
  var power: TasmotaPower
  /// Epoch milliseconds of the report.
  var updatedAt: Int64
}

/// Everything the server knows about one physical device (one MQTT topic), from its own reports.
struct LiveDevice: Sendable, Hashable {
  /// How it speaks: `native` once it published on `home/<id>/…`, `tasmota` from Tasmota-only reports.
  var profile: DeviceProfile?
  /// Its id exactly as it writes it (ids are matched case-insensitively, but a lamp subscribes in its own case).
  var wireID: String?
  /// From LWT; nil until one was seen.
  var online: Bool?
  /// When `online` last took a different value (the dashboard's "offline since 18.02"); nil until it first did.
  var onlineChangedAt: Int64?
  var lastSeenAt: Int64?
  var rssi: Int?
  var uptimeSec: Int?
  /// The FullTopic order the device uses, so commands go where it listens.
  var order: TasmotaTopicOrder = .prefixFirst
  /// By relay number (1 … 32): Tasmota reports relay 1 as `POWER` or `POWER1` depending on the relay count.
  var relays: [Int: ChannelReading] = [:]
}

/// The registered device entities, indexed the three ways lamp control looks them up.
struct DeviceDirectory: Sendable {
  private(set) var byMQTTKey: [String: [LampDevice]] = [:]
  private(set) var byInternalID: [Int64: LampDevice] = [:]
  private(set) var byPublicID: [String: LampDevice] = [:]

  init(_ devices: [LampDevice] = []) {
    for device in devices {
      byMQTTKey[device.mqttKey, default: []].append(device)
      byInternalID[device.id] = device
      byPublicID[device.deviceId] = device
    }
  }

  var all: [LampDevice] { byInternalID.values.sorted { $0.id < $1.id } }
}

extension TasmotaChannel {
  /// The relay a channel addresses: `POWER` and `POWER1` are both relay 1.
  var relay: Int { Swift.max(index, 1) }
}
