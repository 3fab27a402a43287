import SmartLampCore
import SmartLampStore
import Tasmota

/// A registered device as lamp control uses it, read from a ``DeviceRecord``.
struct LampDevice: Sendable, Hashable {
  var id: Int64
  /// The public id used by the API, SSE and schedules.
  var deviceId: String
  /// The Tasmota topic on the wire (upstream rows with an empty value fall back to the public id).
  var mqttDeviceId: String
  var name: String
  var location: String?
  var channel: TasmotaChannel
  var createdAt: String
  /// With a secret, commands go out as signed envelopes (``NativeCommandSigner``).
  var secret: DeviceSecret?

  init(_ record: DeviceRecord) {
    id = record.id
    deviceId = record.deviceId
    mqttDeviceId = record.topic
    name = record.name
    location = record.location
    channel = TasmotaChannel.normalised(record.commandChannelText)
    createdAt = record.createdAt
    secret = record.hmacSecret
  }

  init(
    id: Int64, deviceId: String, mqttDeviceId: String, name: String, location: String?, channel: TasmotaChannel,
    createdAt: String, secret: DeviceSecret?
  ) {
    self.id = id
    self.deviceId = deviceId
    self.mqttDeviceId = mqttDeviceId
    self.name = name
    self.location = location
    self.channel = channel
    self.createdAt = createdAt
    self.secret = secret
  }

  /// The key under which live state of this device's MQTT topic is kept (case-insensitive ids).
  var mqttKey: String { TasmotaTopic.deviceKey(mqttDeviceId) }

  /// The channel in the store's terms (a normalised Tasmota channel is always a valid one).
  var commandChannel: CommandChannel { CommandChannel(tasmota: channel) }
}

extension DeviceRepository {
  /// Every registered device as lamp control uses it, in creation order.
  func lampDevices() async throws -> [LampDevice] {
    try await list().map(LampDevice.init)
  }
}

extension CommandLogRepository {
  /// Per registered device (internal id), the action and time of its last published or acknowledged command: the
  /// "best status" fallback of CONTRACT §7.
  func lastCommands() async throws -> [Int64: (action: String, issuedAt: Int64)] {
    var result: [Int64: (action: String, issuedAt: Int64)] = [:]
    for record in try await latestPerDevice() {
      guard let device = record.deviceInternalId else { continue }
      result[device] = (record.action, record.issuedAt)
    }
    return result
  }
}
