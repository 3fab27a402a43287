/// A relay's reported state.
public enum TasmotaPower: String, Sendable, Hashable, CaseIterable {
  case on = "ON"
  case off = "OFF"

  /// Switch-value normalisation for text (UPSTREAM §9.4): `ON`/`OFF` in any case and trimmed, `1` → on, `0` → off.
  /// Anything else (`TOGGLE`, `BLINK`, empty) is not a switch value.
  public init?(switchValue text: some StringProtocol) {
    let bytes = ASCII.trimmed(Substring(text).utf8)
    if ASCII.equalsUppercased(bytes, "ON") || ASCII.equalsUppercased(bytes, "1") {
      self = .on
    } else if ASCII.equalsUppercased(bytes, "OFF") || ASCII.equalsUppercased(bytes, "0") {
      self = .off
    } else {
      return nil
    }
  }

  /// Switch-value normalisation for JSON: strings as above, numbers 0 → off and others → on, booleans.
  public init?(json: TasmotaJSON) {
    switch json {
    case .string(let text): self.init(switchValue: text)
    case .number(let number): self = number == 0 ? .off : .on
    case .bool(let flag): self = flag ? .on : .off
    default: return nil
    }
  }

  public var isOn: Bool { self == .on }
}

/// The channel of one relay and its state.
public struct TasmotaChannelState: Sendable, Hashable, CustomStringConvertible {
  public var channel: TasmotaChannel
  public var power: TasmotaPower

  public init(_ channel: TasmotaChannel, _ power: TasmotaPower) {
    self.channel = channel
    self.power = power
  }

  public var description: String { "\(channel)=\(power.rawValue)" }
}

extension StringProtocol {
  /// Trims spaces, tabs and line ends; payloads come from devices that pad them inconsistently.
  func trimmingASCIIWhitespace() -> Substring {
    let text = Substring(self)
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
    guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) })
    else { return "" }
    return text[first...last]
  }
}
