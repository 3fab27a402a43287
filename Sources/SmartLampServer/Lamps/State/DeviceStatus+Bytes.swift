import SmartLampStore

/// The realtime frames device state causes, written by ``JSONByteWriter`` with the keys and values their `Encodable`
/// conformances give ``RealtimeEvent/json(_:)``: one frame per state report, where Foundation's encoder took about
/// 7 % of the server during ingest (issue #10, docs/PERFORMANCE.md). `IngestBatchTests` holds both to the
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
    writer.isoTimestamp(updatedAtMillis)
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

extension JSONByteWriter {
  /// Epoch milliseconds as the quoted ISO-8601 text ``Timestamp/iso(_:)`` writes (`2026-01-01T12:00:00.123Z`), or
  /// `null`. Years 1970 to 9999 are written by integer arithmetic (civil date from days, H. Hinnant's algorithm):
  /// Foundation's formatter took 6 % of the server during ingest, one status frame per report. Other times go
  /// through ``Timestamp/iso(_:)``.
  mutating func isoTimestamp(_ millis: Int64?) {
    guard let millis else { return null() }
    guard millis >= 0, millis < 253_402_300_800_000 else { return string(Timestamp.iso(millis)) }
    let (days, time) = millis.quotientAndRemainder(dividingBy: 86_400_000)
    let shifted = days + 719_468
    let era = shifted / 146_097
    let dayOfEra = shifted - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthIndex = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
    let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
    let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    raw("\"")
    int(year)
    raw("-")
    padded(month, digits: 2)
    raw("-")
    padded(day, digits: 2)
    raw("T")
    padded(time / 3_600_000, digits: 2)
    raw(":")
    padded(time / 60_000 % 60, digits: 2)
    raw(":")
    padded(time / 1000 % 60, digits: 2)
    raw(".")
    padded(time % 1000, digits: 3)
    raw("Z\"")
  }

  private mutating func padded(_ value: Int64, digits: Int) {
    if digits == 3 && value < 100 { raw("0") }
    if value < 10 { raw("0") }
    int(value)
  }
}
