/// A switching action or a state query.
public enum PowerAction: Sendable, Equatable {
  case on
  case off
  case toggle
  /// Empty payload (or `?`): answer with the state, change nothing.
  case query

  /// The signed envelope's `action` values, exactly `ON`, `OFF` or `TOGGLE` (the signed text is not case-folded).
  init?<let capacity: Int>(envelopeAction text: borrowing FixedBytes<capacity>) {
    if text.equals("ON") {
      self = .on
    } else if text.equals("OFF") {
      self = .off
    } else if text.equals("TOGGLE") {
      self = .toggle
    } else {
      return nil
    }
  }

  /// A plain (Tasmota) payload, case-insensitive and trimmed: `ON`/`1`/`TRUE`, `OFF`/`0`/`FALSE`, `TOGGLE`/`2`,
  /// empty or `?` for a query; nil for anything else.
  public init?(plain payload: Span<UInt8>) {
    var lower = 0
    var upper = payload.count
    while lower < upper, PowerAction.isSpace(payload[lower]) { lower += 1 }
    while upper > lower, PowerAction.isSpace(payload[upper - 1]) { upper -= 1 }
    guard upper - lower <= 6 else { return nil }
    var word = FixedBytes<6>(payload.extracting(lower..<upper))
    LampText.lowercase(&word)
    if word.isEmpty || word.equals("?") {
      self = .query
    } else if word.equals("on") || word.equals("1") || word.equals("true") {
      self = .on
    } else if word.equals("off") || word.equals("0") || word.equals("false") {
      self = .off
    } else if word.equals("toggle") || word.equals("2") {
      self = .toggle
    } else {
      return nil
    }
  }

  static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

  /// The relay state after this action from `current`.
  public func applied(to current: Bool) -> Bool {
    switch self {
    case .on: return true
    case .off: return false
    case .toggle: return !current
    case .query: return current
    }
  }
}
