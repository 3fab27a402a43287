import Tasmota

/// Reading the live state of a whole listing at once (issue #10: the bootstrap read each of its devices' state
/// three times, each under the table's lock).
extension DeviceStateService {
  /// The live state of each device, in order (nil: never heard). One read per device; inside
  /// `DeviceStateService.swift` this could take the table's lock once for the whole list.
  func liveStates(of devices: some Sequence<LampDevice>) -> [LiveDevice?] {
    devices.map { live(mqttKey: $0.mqttKey) }
  }

  /// ``commandTopic(of:)`` from a live state already read.
  static func commandTopic(of device: LampDevice, live: LiveDevice?) -> String {
    TasmotaCommand.topic(
      deviceID: live?.wireID ?? device.mqttDeviceId, channel: device.secret == nil ? device.channel : .power,
      order: live?.order ?? .prefixFirst)
  }
}
