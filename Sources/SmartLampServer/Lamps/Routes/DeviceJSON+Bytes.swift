/// ``DeviceJSON`` written by ``JSONByteWriter``: the keys its `Encodable` conformance writes, in declaration order.
extension DeviceJSON: JSONBytesWritable {
  func write(to writer: inout JSONByteWriter) {
    Self.write(
      id: id, name: name, location: location, commandChannel: commandChannel, mqttDeviceId: mqttDeviceId,
      devicePermission: devicePermission, schedulePermission: schedulePermission, profile: profile,
      hasSecret: hasSecret, lastSeenAt: lastSeenAt, onlineChangedAt: onlineChangedAt, to: &writer
    ) { $0.string(commandTopic) }
  }

  /// The one place a device's keys and their order are written, from the values themselves (listings write
  /// straight from their devices, without making a ``DeviceJSON`` of each); `commandTopic` writes that value (a
  /// listing writes it in pieces, without making the string).
  static func write(
    id: String, name: String, location: String?, commandChannel: String, mqttDeviceId: String,
    devicePermission: String, schedulePermission: String, profile: String?, hasSecret: Bool, lastSeenAt: Int64?,
    onlineChangedAt: Int64?, to writer: inout JSONByteWriter, commandTopic: (inout JSONByteWriter) -> Void
  ) {
    writer.raw("{\"id\":")
    writer.string(id)
    writer.raw(",\"name\":")
    writer.string(name)
    writer.raw(",\"location\":")
    writer.string(location)
    writer.raw(",\"commandChannel\":")
    writer.string(commandChannel)
    writer.raw(",\"mqttDeviceId\":")
    writer.string(mqttDeviceId)
    writer.raw(",\"devicePermission\":")
    writer.string(devicePermission)
    writer.raw(",\"schedulePermission\":")
    writer.string(schedulePermission)
    writer.raw(",\"profile\":")
    writer.string(profile)
    writer.raw(",\"hasSecret\":")
    writer.bool(hasSecret)
    writer.raw(",\"commandTopic\":")
    commandTopic(&writer)
    writer.raw(",\"lastSeenAt\":")
    writer.int(lastSeenAt)
    writer.raw(",\"onlineChangedAt\":")
    writer.int(onlineChangedAt)
    writer.raw("}")
  }
}
