import SmartLampCore

/// ``DeviceJSON`` from a live state the caller has already read, for listings that read every device's state in
/// one pass (``DeviceStateService/liveStates(of:)``); the same fields as `init(_:grant:state:)`.
extension DeviceJSON {
  init(_ device: LampDevice, grant: DeviceGrant, live: LiveDevice?) {
    self.init(
      id: device.deviceId, name: device.name, location: device.location, commandChannel: device.channel.name,
      mqttDeviceId: device.mqttDeviceId, devicePermission: grant.devicePermission.rawValue,
      schedulePermission: grant.schedulePermission.rawValue, profile: live?.profile?.rawValue,
      hasSecret: device.secret != nil, commandTopic: DeviceStateService.commandTopic(of: device, live: live),
      lastSeenAt: live?.lastSeenAt, onlineChangedAt: live?.onlineChangedAt)
  }

  /// Writes what `DeviceJSON(device, grant: grant, live: live).write(to:)` writes, without making the value (the
  /// bootstrap writes every visible device this way: issue #10).
  static func write(_ device: LampDevice, grant: DeviceGrant, live: LiveDevice?, to writer: inout JSONByteWriter) {
    write(
      id: device.deviceId, name: device.name, location: device.location, commandChannel: device.channel.name,
      mqttDeviceId: device.mqttDeviceId, devicePermission: grant.devicePermission.rawValue,
      schedulePermission: grant.schedulePermission.rawValue, profile: live?.profile?.rawValue,
      hasSecret: device.secret != nil, commandTopic: DeviceStateService.commandTopic(of: device, live: live),
      lastSeenAt: live?.lastSeenAt, onlineChangedAt: live?.onlineChangedAt, to: &writer)
  }
}
