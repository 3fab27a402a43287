import Foundation

/// A relay channel: `POWER` (the unindexed output) or `POWER1` … `POWER32`.
///
/// Tasmota supports at most 32 relays, so an index above 32 is not a channel. Ordering is `POWER` first, then by
/// index (UPSTREAM §9.2).
public struct TasmotaChannel: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// 0 for `POWER`, otherwise 1 … ``maximumIndex``.
  public let index: Int

  public static let maximumIndex = 32
  public static let power = TasmotaChannel(uncheckedIndex: 0)

  private init(uncheckedIndex: Int) {
    index = uncheckedIndex
  }

  /// `POWER<index>` for 1 … 32; index 0 is `POWER`.
  public init?(index: Int) {
    guard (0...Self.maximumIndex).contains(index) else { return nil }
    self.index = index
  }

  /// Strict parse: trimmed, case-insensitive `POWER` or `POWER<n>` with n in 1 … 32 and no leading zero.
  public init?(parsing text: some StringProtocol) {
    let bytes = ASCII.trimmed(Substring(text).utf8)
    guard bytes.count >= 5, ASCII.equalsUppercased(bytes.prefix(5), "POWER") else { return nil }
    let digits = bytes.dropFirst(5)
    if digits.isEmpty {
      self = .power
      return
    }
    guard digits.count <= 2, let first = digits.first, first != UInt8(ascii: "0") else { return nil }
    var number = 0
    for byte in digits {
      guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
      number = number * 10 + Int(byte - UInt8(ascii: "0"))
    }
    guard let channel = TasmotaChannel(index: number) else { return nil }
    self = channel
  }

  /// Lenient normalisation used for commands: anything that is not a valid channel becomes `POWER`.
  public static func normalised(_ text: some StringProtocol) -> TasmotaChannel {
    TasmotaChannel(parsing: text) ?? .power
  }

  /// The wire name, `POWER` or `POWER<n>`.
  public var name: String { index == 0 ? "POWER" : "POWER\(index)" }

  public var description: String { name }

  public var isIndexed: Bool { index > 0 }

  public static func < (lhs: TasmotaChannel, rhs: TasmotaChannel) -> Bool { lhs.index < rhs.index }

  /// The channel a UI should preselect: the first indexed channel if any, else `POWER` (UPSTREAM §9.2).
  public static func suggested(from channels: some Sequence<TasmotaChannel>) -> TasmotaChannel {
    channels.filter(\.isIndexed).min() ?? .power
  }

  /// The public entity id of this channel on a device: `<mqttID>` for `POWER`, `<mqttID>__POWER<n>` otherwise.
  /// An empty MQTT id gives an empty entity id.
  public func entityID(mqttID: String) -> String {
    guard !mqttID.isEmpty else { return "" }
    return index == 0 ? mqttID : "\(mqttID)__\(name)"
  }

  /// Splits an entity id back into MQTT id and channel. An id without a valid `__POWER<n>` suffix is a `POWER`
  /// entity whose MQTT id is the whole string.
  public static func splitEntityID(_ entityID: String) -> (mqttID: String, channel: TasmotaChannel) {
    guard let range = entityID.range(of: "__", options: .backwards) else { return (entityID, .power) }
    let suffix = entityID[range.upperBound...]
    let mqttID = String(entityID[..<range.lowerBound])
    guard !mqttID.isEmpty, let channel = TasmotaChannel(parsing: suffix), channel.isIndexed,
      suffix == Substring(channel.name)
    else { return (entityID, .power) }
    return (mqttID, channel)
  }
}
