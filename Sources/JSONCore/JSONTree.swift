/// A value type ``JSONReader`` can build. An enum satisfies it with its cases (`case null`, `case bool(Bool)`, …);
/// only numbers need a function, because each side keeps them differently (the server as `Int` or `Double`, Tasmota
/// as `Double`).
public protocol JSONTree {
  static var null: Self { get }
  static func bool(_ value: Bool) -> Self
  static func string(_ value: String) -> Self
  static func array(_ elements: [Self]) -> Self
  static func object(_ members: [String: Self]) -> Self
  /// The value of a number token as written; `integral` when it has neither fraction nor exponent. Nil refuses the
  /// document (a number the type cannot hold, such as `1e999`).
  static func number(text: String, integral: Bool) -> Self?
}

/// Which member an object keeps when a name repeats (RFC 8259 leaves it open).
public enum JSONDuplicateKeys: Sendable {
  case firstWins
  case lastWins
}

/// Where a document stopped being JSON, in bytes from its start.
public struct JSONSyntaxError: Error, Equatable, Sendable {
  public let offset: Int

  public init(offset: Int) {
    self.offset = offset
  }
}
