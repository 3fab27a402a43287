/// The realtime frames device state causes, written by ``JSONByteWriter`` with the keys and values their `Encodable`
/// conformances give ``RealtimeEvent/json(_:)``: one frame per state report, where Foundation's encoder took about
/// 7 % of the server during ingest (issue #10, docs/PERFORMANCE.md). `RealtimeEventBytesTests` holds both to the
/// same JSON.
extension DeviceStatus {
  /// The status's keys, without the braces (the status event's payload adds `reportSource` to them).
  func writeMembers(to writer: inout JSONByteWriter) {
    writer.raw("\"deviceId\":")
    writer.string(deviceId)
    writer.raw(",\"power\":")
    writer.string(power)
    writer.raw(",\"online\":")
    if let online { writer.bool(online) } else { writer.null() }
    writer.raw(",\"updatedAt\":")
    writer.string(updatedAt)
    writer.raw(",\"source\":")
    writer.string(source.rawValue)
    writer.raw(",\"rssi\":")
    writer.int(rssi)
    writer.raw(",\"commandChannel\":")
    writer.string(commandChannel)
    writer.raw(",\"profile\":")
    writer.string(profile?.rawValue)
  }
}

extension RealtimeEvent.Status {
  /// The frame, as ``RealtimeEvent/json(_:)`` writes it.
  var json: String {
    var writer = JSONByteWriter(capacity: 320)
    writer.raw("{\"type\":")
    writer.string(type)
    writer.raw(",\"deviceId\":")
    writer.string(deviceId)
    writer.raw(",\"payload\":{")
    payload.status.writeMembers(to: &writer)
    writer.raw(",\"reportSource\":")
    writer.string(payload.reportSource)
    writer.raw("},\"ts\":")
    writer.int(ts)
    writer.raw("}")
    return String(decoding: writer.bytes, as: UTF8.self)
  }
}

extension RealtimeEvent.LWT {
  /// The frame, as ``RealtimeEvent/json(_:)`` writes it (`online` is left out when unknown, as its synthesized
  /// `Encodable` conformance does).
  var json: String {
    var writer = JSONByteWriter(capacity: 128)
    writer.raw("{\"type\":")
    writer.string(type)
    writer.raw(",\"deviceId\":")
    writer.string(deviceId)
    writer.raw(",\"payload\":")
    writer.string(payload)
    if let online {
      writer.raw(",\"online\":")
      writer.bool(online)
    }
    writer.raw(",\"ts\":")
    writer.int(ts)
    writer.raw("}")
    return String(decoding: writer.bytes, as: UTF8.self)
  }
}
