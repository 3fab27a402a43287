import SmartLampCore
import SmartLampStore
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

/// The registered device entities, indexed the three ways lamp control looks them up, and kept in id order. A
/// device change touches only that device (issue #10: reloading every device on each change made registering
/// 5 000 lamps take 142 s).
struct DeviceDirectory: Sendable {
  private(set) var byMQTTKey: [String: [LampDevice]] = [:]
  private(set) var byInternalID: [Int64: LampDevice] = [:]
  private(set) var byPublicID: [String: LampDevice] = [:]
  /// Every device, in id order (shared, not copied, by each reader).
  private(set) var all: [LampDevice] = []

  init(_ devices: [LampDevice] = []) {
    for device in devices.sorted(by: { $0.id < $1.id }) {
      byMQTTKey[device.mqttKey, default: []].append(device)
      byInternalID[device.id] = device
      byPublicID[device.deviceId] = device
      all.append(device)
    }
  }

  /// Adds a device or replaces the one with its internal id (its public or MQTT id may have changed).
  mutating func upsert(_ device: LampDevice) {
    remove(internalID: device.id)
    byMQTTKey[device.mqttKey, default: []].append(device)
    byMQTTKey[device.mqttKey]?.sort { $0.id < $1.id }
    byInternalID[device.id] = device
    byPublicID[device.deviceId] = device
    // New devices get the highest id: appending is the usual case.
    let position = Self.position(of: device.id, in: all)
    all.insert(device, at: position)
  }

  mutating func remove(internalID: Int64) {
    guard let old = byInternalID.removeValue(forKey: internalID) else { return }
    if byPublicID[old.deviceId]?.id == internalID { byPublicID[old.deviceId] = nil }
    byMQTTKey[old.mqttKey]?.removeAll { $0.id == internalID }
    if byMQTTKey[old.mqttKey]?.isEmpty == true { byMQTTKey[old.mqttKey] = nil }
    let position = Self.position(of: internalID, in: all)
    if position < all.count, all[position].id == internalID { all.remove(at: position) }
  }

  /// `(count)/(highest id)` and a digest of the secrets, as ``DeviceRepository/visibilitySignature()`` computes
  /// them from the table: equal when this directory holds what the database holds.
  var signature: (devices: String, secrets: String) {
    (
      "\(all.count)/\(all.last?.id ?? 0)",
      DeviceRepository.secretsDigest(all.map { ($0.id, $0.secret?.value ?? "") })
    )
  }

  /// Where `id` is or would go in the id-ordered list (binary search).
  private static func position(of id: Int64, in devices: [LampDevice]) -> Int {
    if let last = devices.last, last.id < id { return devices.count }
    var low = 0
    var high = devices.count
    while low < high {
      let middle = (low + high) / 2
      if devices[middle].id < id { low = middle + 1 } else { high = middle }
    }
    return low
  }
}
