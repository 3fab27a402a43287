import JSONCore

/// A JSON value as Tasmota sends it, read by the shared ``JSONReader`` (the server reads its bodies with it too).
///
/// Every number is a `Double`, and of duplicate names the last wins. Deeper nesting than ``maximumDepth`` is refused.
public enum TasmotaJSON: Sendable, Hashable {
  case object([String: TasmotaJSON])
  case array([TasmotaJSON])
  case string(String)
  case number(Double)
  case bool(Bool)
  case null

  /// Deeper documents are rejected; real Tasmota payloads nest three or four levels.
  public static let maximumDepth = 32

  /// Parses a complete JSON document; nil when the bytes are not exactly one valid JSON value.
  public static func parse(_ bytes: [UInt8]) -> TasmotaJSON? {
    bytes.withUnsafeBufferPointer { buffer in
      try? JSONReader.parse(buffer, maximumDepth: maximumDepth, duplicateKeys: .lastWins)
    }
  }

  /// Parses a complete JSON document from text.
  public static func parse(_ text: String) -> TasmotaJSON? {
    parse(Array(text.utf8))
  }

  public subscript(key: String) -> TasmotaJSON? {
    if case .object(let members) = self { return members[key] }
    return nil
  }

  public var objectValue: [String: TasmotaJSON]? {
    if case .object(let members) = self { return members }
    return nil
  }

  public var arrayValue: [TasmotaJSON]? {
    if case .array(let items) = self { return items }
    return nil
  }

  public var stringValue: String? {
    if case .string(let text) = self { return text }
    return nil
  }

  public var doubleValue: Double? {
    if case .number(let number) = self { return number }
    return nil
  }

  /// The value as an integer when it is a finite whole number inside `Int`'s range.
  public var intValue: Int? {
    guard case .number(let number) = self, number.isFinite, number == number.rounded(),
      abs(number) < 9.0e15
    else { return nil }
    return Int(number)
  }

  public var isNull: Bool {
    if case .null = self { return true }
    return false
  }

  /// Looks a key up ignoring ASCII case, as Tasmota keys (`Wifi`, `WIFI`) vary between firmware versions.
  public func member(caseInsensitive key: String) -> TasmotaJSON? {
    guard case .object(let members) = self else { return nil }
    if let exact = members[key] { return exact }
    let wanted = key.uppercased()
    return members.first { $0.key.uppercased() == wanted }?.value
  }
}

extension TasmotaJSON: JSONTree {
  public static func number(text: String, integral: Bool) -> TasmotaJSON? {
    guard let number = Double(text), number.isFinite else { return nil }
    return .number(number)
  }
}
