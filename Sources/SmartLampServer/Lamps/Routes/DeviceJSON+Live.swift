import SmartLampCore
import Tasmota

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
      hasSecret: device.secret != nil, lastSeenAt: live?.lastSeenAt, onlineChangedAt: live?.onlineChangedAt,
      to: &writer
    ) { writeCommandTopic(of: device, live: live, to: &$0) }
  }

  /// ``DeviceStateService/commandTopic(of:live:)`` written in pieces, as `TasmotaTopic.string` joins them (making
  /// the string was one allocation per device of every bootstrap). `JSONByteWriterTests` holds the two together
  /// over wire ids, topic orders and signed lamps.
  static func writeCommandTopic(of device: LampDevice, live: LiveDevice?, to writer: inout JSONByteWriter) {
    let deviceID = live?.wireID ?? device.mqttDeviceId
    let channel = device.secret == nil ? device.channel : .power
    writer.openString()
    switch live?.order ?? .prefixFirst {
    case .prefixFirst:
      writer.stringContent(TasmotaPrefix.command.rawValue)
      writer.stringContent("/")
      writer.stringContent(deviceID)
    case .topicFirst:
      writer.stringContent(deviceID)
      writer.stringContent("/")
      writer.stringContent(TasmotaPrefix.command.rawValue)
    }
    writer.stringContent("/")
    writer.stringContent(channel.name)
    writer.closeString()
  }
}
