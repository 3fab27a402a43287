import Foundation

/// A value bound to a statement or read from a row. Booleans are stored as 0/1 integers by every dialect.
public enum SQLValue: Sendable, Hashable {
  case int64(Int64)
  case double(Double)
  case text(String)
  case blob(Data)
  case null
  case bool(Bool)

  public var isNull: Bool { self == .null }
}

extension SQLValue {
  public init(_ value: Int64?) { self = value.map(SQLValue.int64) ?? .null }
  public init(_ value: Int?) { self = value.map { .int64(Int64($0)) } ?? .null }
  public init(_ value: String?) { self = value.map(SQLValue.text) ?? .null }
  public init(_ value: Bool?) { self = value.map(SQLValue.bool) ?? .null }
  public init(_ value: Double?) { self = value.map(SQLValue.double) ?? .null }
  public init(_ value: Data?) { self = value.map(SQLValue.blob) ?? .null }
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
  ExpressibleByFloatLiteral, ExpressibleByNilLiteral
{
  public init(stringLiteral value: String) { self = .text(value) }
  public init(integerLiteral value: Int64) { self = .int64(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(floatLiteral value: Double) { self = .double(value) }
  public init(nilLiteral: ()) { self = .null }
}
