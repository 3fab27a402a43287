/// The three Tasmota topic prefixes (`Prefix1..3`).
public enum TasmotaPrefix: String, Sendable, Hashable, CaseIterable {
  /// Commands and queries to the device.
  case command = "cmnd"
  /// Command replies and status.
  case status = "stat"
  /// Periodic telemetry and availability.
  case telemetry = "tele"

  /// Case-insensitive match of a topic segment.
  public init?(segment: some StringProtocol) {
    self.init(bytes: Substring(segment).utf8)
  }

  init?(bytes: Substring.UTF8View) {
    if ASCII.equalsUppercased(bytes, "STAT") {
      self = .status
    } else if ASCII.equalsUppercased(bytes, "TELE") {
      self = .telemetry
    } else if ASCII.equalsUppercased(bytes, "CMND") {
      self = .command
    } else {
      return nil
    }
  }
}

/// Where `%prefix%` sits in a three-segment FullTopic.
public enum TasmotaTopicOrder: Sendable, Hashable, CaseIterable {
  /// `%prefix%/%topic%/` — Tasmota's default, e.g. `stat/lamp/POWER`.
  case prefixFirst
  /// `%topic%/%prefix%/`, e.g. `lamp/stat/POWER`.
  case topicFirst
}

/// A parsed three-segment Tasmota topic: prefix, device topic (the device id on the wire) and the last segment.
///
/// ```swift
/// TasmotaTopic.parse("lamp-a/STAT/RESULT")  // prefix .status, deviceID "lamp-a", suffix "RESULT", .topicFirst
/// ```
public struct TasmotaTopic: Sendable, Hashable, CustomStringConvertible {
  public var prefix: TasmotaPrefix
  /// The device's `Topic`, exactly as written on the wire. Compare ids with ``TasmotaTopic/sameDevice(_:_:)``.
  public var deviceID: String
  /// The command or report name: `POWER2`, `RESULT`, `STATE`, `LWT`, `STATUS11` …, as written on the wire.
  public var suffix: String
  public var order: TasmotaTopicOrder

  public init(prefix: TasmotaPrefix, deviceID: String, suffix: String, order: TasmotaTopicOrder = .prefixFirst) {
    self.prefix = prefix
    self.deviceID = deviceID
    self.suffix = suffix
    self.order = order
  }

  /// Parses a topic with exactly three non-empty segments where the first or the second is a prefix
  /// (case-insensitive); the other of the first two is the device id (UPSTREAM §9.4). If both are prefixes, the
  /// first wins (default order). Wildcards are never device ids. Returns nil for anything else.
  public static func parse(_ topic: String) -> TasmotaTopic? {
    let bytes = topic.utf8
    let slash = UInt8(ascii: "/")
    guard let first = bytes.firstIndex(of: slash) else { return nil }
    let afterFirst = bytes.index(after: first)
    guard let second = bytes[afterFirst...].firstIndex(of: slash) else { return nil }
    let afterSecond = bytes.index(after: second)
    guard !bytes[afterSecond...].contains(slash) else { return nil }
    let segment0 = topic[..<first]
    let segment1 = topic[afterFirst..<second]
    let segment2 = topic[afterSecond...]
    guard !segment0.isEmpty, !segment1.isEmpty, !segment2.isEmpty else { return nil }
    if let prefix = TasmotaPrefix(bytes: segment0.utf8) {
      return make(prefix, segment1, segment2, .prefixFirst)
    }
    if let prefix = TasmotaPrefix(bytes: segment1.utf8) {
      return make(prefix, segment0, segment2, .topicFirst)
    }
    return nil
  }

  private static func make(
    _ prefix: TasmotaPrefix, _ device: Substring, _ suffix: Substring, _ order: TasmotaTopicOrder
  ) -> TasmotaTopic? {
    let wildcard: (UInt8) -> Bool = { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }
    guard !device.utf8.contains(where: wildcard), !suffix.utf8.contains(where: wildcard) else { return nil }
    return TasmotaTopic(prefix: prefix, deviceID: String(device), suffix: String(suffix), order: order)
  }

  /// The device id of a topic, or nil when the topic is not a Tasmota topic.
  public static func deviceID(of topic: String) -> String? { parse(topic)?.deviceID }

  /// The topic string in its order.
  public var string: String {
    switch order {
    case .prefixFirst: "\(prefix.rawValue)/\(deviceID)/\(suffix)"
    case .topicFirst: "\(deviceID)/\(prefix.rawValue)/\(suffix)"
    }
  }

  public var description: String { string }

  /// The suffix upper-cased, for matching (`Power2` and `POWER2` are the same report).
  public var normalisedSuffix: String { suffix.uppercased() }

  /// Device ids are matched case-insensitively (UPSTREAM §20.30 fixed): `Lamp` and `lamp` are one device.
  public static func sameDevice(_ lhs: String, _ rhs: String) -> Bool {
    lhs.lowercased() == rhs.lowercased()
  }

  /// The key under which to index a device id so that case variants meet.
  public static func deviceKey(_ deviceID: String) -> String { deviceID.lowercased() }

  /// Both LWT topics of a device, for the retained-LWT snapshot: `tele/<id>/LWT` and `<id>/tele/LWT`.
  public static func lwtTopics(deviceID: String) -> [String] {
    TasmotaTopicOrder.allCases.map {
      TasmotaTopic(prefix: .telemetry, deviceID: deviceID, suffix: "LWT", order: $0).string
    }
  }
}
