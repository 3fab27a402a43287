/// The native (ESP32 SmartLamp firmware) profile's topics: `home/<id>/status`, `home/<id>/lwt` from the lamp and
/// `home/<id>/cmd` to it (UPSTREAM §9.9, `firmware/esp32-smartlamp/README.md`). Commands go to the Tasmota
/// topic `cmnd/<id>/POWER`, which the firmware also takes.
public struct NativeTopic: Sendable, Hashable {
  public enum Kind: String, Sendable, Hashable {
    /// `home/<id>/status`: the lamp's state (retained) or a refusal report (not retained).
    case status
    /// `home/<id>/lwt`: `ONLINE` / `OFFLINE` (retained; `OFFLINE` is the Will).
    case lwt
    /// `home/<id>/cmd`: envelopes to the lamp (the archived upstream's command topic); never a report.
    case cmd
  }

  /// The device id exactly as written in the topic.
  public var deviceID: String
  public var kind: Kind

  public init(deviceID: String, kind: Kind) {
    self.deviceID = deviceID
    self.kind = kind
  }

  /// Parses `home/<id>/<status|lwt|cmd>` (three segments, lower-case as the firmware writes them); nil for any
  /// other topic. The id is returned as written, valid or not: ``NativeMessage`` decides what an odd id means.
  public static func parse(_ topic: String) -> NativeTopic? {
    guard topic.utf8.starts(with: "home/".utf8) else { return nil }
    let segments = topic.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
    guard segments.count == 3, !segments[1].isEmpty, let kind = Kind(rawValue: String(Substring(segments[2])))
    else { return nil }
    return NativeTopic(deviceID: String(Substring(segments[1])), kind: kind)
  }

  public var string: String { "home/\(deviceID)/\(kind.rawValue)" }
}

/// The firmware's identifier rule for device ids, request ids and nonces: only `A-Z a-z 0-9 . _ : -`, which keeps
/// `|` (the canonical string's separator), quotes, `/` and MQTT wildcards out of every field.
public enum NativeIdentifier {
  /// Device ids and request ids: 1–64 characters.
  public static let idLengths = 1...64
  /// Nonces: 8–64 characters (a UUID fits).
  public static let nonceLengths = 8...64

  public static func isAllowed(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"),
      UInt8(ascii: "-"):
      true
    default: false
    }
  }

  /// True when `text` has a length in `lengths` and only allowed characters.
  public static func isValid(_ text: some StringProtocol, lengths: ClosedRange<Int> = idLengths) -> Bool {
    let bytes = Substring(text).utf8
    return lengths.contains(bytes.count) && bytes.allSatisfy(isAllowed)
  }
}

/// What the server subscribes to for native lamps.
public enum NativeSubscriptions {
  public static let all = ["home/+/status", "home/+/lwt"]
}
