import Tasmota

/// What one device message told the state service, for the ingest loop to pass on in order: the realtime events
/// first (cause before effect), then the reports that may acknowledge commands, then the changes no command
/// explains (device-side history), then a native lamp's echo or refusal, then the queries to publish.
struct StateFacts: Sendable {
  /// A relay's reported power that differs from what it was, with the device entities on that relay.
  struct PowerChange: Sendable {
    var relay: Int
    var power: TasmotaPower
    var devices: [LampDevice]
  }

  /// A realtime event the message causes, about one registered device (its internal id). Encoded by the ingest
  /// loop after the state's lock is let go.
  enum Event: Sendable {
    case status(device: Int64, RealtimeEvent.Status)
    case lwt(device: Int64, RealtimeEvent.LWT)

    var device: Int64 {
      switch self {
      case .status(let device, _), .lwt(let device, _): device
      }
    }

    /// The event's frame (``RealtimeEvent/json(_:)``'s keys and values, written without Foundation).
    var json: String {
      switch self {
      case .status(_, let event): event.json
      case .lwt(_, let event): event.json
      }
    }
  }

  /// A native lamp refused a command: the one it names, or (no id) every plain one pending on it.
  struct Refusal: Sendable, Equatable {
    var wireRequestID: String?
    var code: String
  }

  /// The device's key (lowercased id), when the message came from one.
  var mqttKey: String?
  /// When the message arrived (epoch ms).
  var at: Int64 = 0
  /// What kind of report it was (`device_history.source`).
  var source = ""
  /// Realtime events, in order.
  var events: [Event] = []
  /// Relay reports that acknowledge plain commands asking for that power.
  var reports: [(relay: Int, power: TasmotaPower)] = []
  /// Reported changes from a known state: device-side history unless a command explains them.
  var changes: [PowerChange] = []
  /// The request id a native status echoes: the acknowledgement of that signed command.
  var echoedRequestID: String?
  var refusal: Refusal?
  /// State queries to publish (a device that just came online).
  var queries: [(topic: String, payload: String)] = []
}
