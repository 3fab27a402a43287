import Foundation
import SmartLampStore

/// The frames of the realtime stream (CONTRACT §8, UPSTREAM §10), each encoded once and fanned out as text.
enum RealtimeEvent {
  struct Hello: Encodable {
    let type = "hello"
    let ts: Int64
    /// How often pings come (`realtime.ping-interval-ms`): a client's watchdog knows when the stream went silent.
    let pingIntervalMs: Int
  }

  struct Ping: Encodable {
    let type = "ping"
    let ts: Int64
  }

  struct Status: Encodable {
    let type = "status"
    let deviceId: String
    let payload: Payload
    let ts: Int64

    struct Payload: Encodable {
      let status: DeviceStatus
      /// Where the report came from (`tasmota_stat_power`, `tasmota_tele_state`, …, or `snapshot`).
      let reportSource: String

      func encode(to encoder: any Encoder) throws {
        try status.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(reportSource, forKey: .reportSource)
      }
      enum Keys: String, CodingKey { case reportSource }
    }
  }

  struct LWT: Encodable {
    let type = "lwt"
    let deviceId: String
    /// `ONLINE`, `OFFLINE`, or the device's upper-cased text.
    let payload: String
    let online: Bool?
    let ts: Int64
  }

  struct Command: Encodable {
    let type = "command"
    let requestId: String
    let deviceId: String
    let action: String
    let status: String
    let ackLatencyMs: Int64?
    /// The lamp's refusal code when a native lamp refused the command (status `FAILED`).
    var error: String? = nil
    let ts: Int64
  }

  /// The discovery inbox changed (administrators only): re-read `GET /api/v1/devices/discovery`.
  struct Discovery: Encodable {
    let type = "discovery"
    /// `added` or `changed`.
    let change: String
    let mqttDeviceId: String
    let ts: Int64
  }

  struct Devices: Encodable {
    let type = "devices"
    let ts: Int64
  }

  private static let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return encoder
  }()

  /// The event as one line of JSON (JSONEncoder never emits raw newlines, which SSE `data:` lines forbid).
  static func json(_ value: some Encodable) -> String {
    guard let data = try? encoder.encode(value) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }

  static func now() -> Int64 { Timestamp.nowMillis() }
}
