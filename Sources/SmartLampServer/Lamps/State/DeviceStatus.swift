import Foundation
import SmartLampCore

/// A device's "best status" (CONTRACT §5, §7): the reported state if any (`device`), else the last acknowledged
/// or published command (`command`), else `UNKNOWN` (`none`).
struct DeviceStatus: Encodable, Sendable, Hashable {
  enum Source: String, Encodable, Sendable { case device, command, none }

  var deviceId: String
  var power: String
  var online: Bool?
  /// Epoch milliseconds; rendered as ISO-8601 (upstream used a string here).
  var updatedAtMillis: Int64?
  var source: Source
  var rssi: Int?
  var commandChannel: String
  /// `tasmota` | `native`; nil until the device was heard.
  var profile: DeviceProfile? = nil

  var updatedAt: String? { updatedAtMillis.map { APITime.iso8601(millis: $0) } }

  enum CodingKeys: String, CodingKey { case deviceId, power, online, updatedAt, source, rssi, commandChannel, profile }

  // Absent values are written as null: clients rely on every key being present.
  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(deviceId, forKey: .deviceId)
    try container.encode(power, forKey: .power)
    try container.encode(online, forKey: .online)
    try container.encode(updatedAt, forKey: .updatedAt)
    try container.encode(source, forKey: .source)
    try container.encode(rssi, forKey: .rssi)
    try container.encode(commandChannel, forKey: .commandChannel)
    try container.encode(profile, forKey: .profile)
  }
}
