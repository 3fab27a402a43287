/// A Tasmota relay channel: `POWER` (the first relay) or `POWER1`…`POWER32`.
public struct CommandChannel: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
  /// 0 for `POWER`, 1…32 for `POWER<n>`.
  public let index: Int

  public static let power = CommandChannel(uncheckedIndex: 0)
  public static let maximumIndex = 32

  private init(uncheckedIndex: Int) { index = uncheckedIndex }

  /// `POWER` for 0, `POWER<n>` for 1…32.
  public init(index: Int) throws(CommandChannelError) {
    guard (0...Self.maximumIndex).contains(index) else { throw .invalid(String(index)) }
    self.index = index
  }

  /// Parses `power`, `POWER`, `Power3`… case-insensitively. No spaces, no sign, no leading zeros, 1…32.
  public init(parsing text: String) throws(CommandChannelError) {
    let upper = text.uppercased()
    guard upper.hasPrefix("POWER") else { throw .invalid(text) }
    let digits = upper.dropFirst(5)
    if digits.isEmpty {
      index = 0
      return
    }
    guard digits.count <= 2, digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.first != "0",
      let value = Int(digits), (1...Self.maximumIndex).contains(value)
    else { throw .invalid(text) }
    index = value
  }

  /// The canonical name used in topics and stored in the database.
  public var name: String { index == 0 ? "POWER" : "POWER\(index)" }
  public var description: String { name }

  /// Tasmota reports relay 1 as both `POWER` and `POWER1` on single-relay devices; this is the relay number (≥ 1).
  public var relay: Int { Swift.max(index, 1) }

  public static func < (lhs: Self, rhs: Self) -> Bool { lhs.index < rhs.index }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    do {
      try self.init(parsing: text)
    } catch {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid channel"))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(name)
  }
}

public enum CommandChannelError: Error, Sendable, Equatable {
  case invalid(String)
}
