/// ``DeviceJSON`` written by ``JSONByteWriter``: the keys its `Encodable` conformance writes, in declaration order.
extension DeviceJSON: JSONBytesWritable {
  func write(to writer: inout JSONByteWriter) {
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
    writer.string(commandTopic)
    writer.raw(",\"lastSeenAt\":")
    writer.int(lastSeenAt)
    writer.raw(",\"onlineChangedAt\":")
    writer.int(onlineChangedAt)
    writer.raw("}")
  }

}
