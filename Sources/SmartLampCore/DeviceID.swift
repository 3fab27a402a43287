/// A device's public id (also its default MQTT topic): 1–191 characters, no MQTT wildcards (`+`, `#`), no `/`,
/// no whitespace or control characters. 191 is the MariaDB utf8mb4 index limit of upstream's `VARCHAR(191)`.
public struct DeviceID: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
  public let rawValue: String
  public static let maximumLength = 191

  public init(_ text: String) throws(DeviceIDError) {
    if let problem = Self.problem(in: text) { throw problem }
    rawValue = text
  }

  /// The reason `text` is not a valid device id, or nil when it is.
  public static func problem(in text: String) -> DeviceIDError? {
    if text.isEmpty { return .empty }
    if text.count > maximumLength { return .tooLong }
    for scalar in text.unicodeScalars {
      switch scalar {
      case "+", "#": return .mqttWildcard
      case "/": return .slash
      default:
        if scalar.properties.isWhitespace || scalar.properties.generalCategory == .control
          || scalar.properties.generalCategory == .format || scalar.properties.generalCategory == .lineSeparator
          || scalar.properties.generalCategory == .paragraphSeparator
        {
          return .whitespaceOrControl
        }
      }
    }
    return nil
  }

  public var description: String { rawValue }
  public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    do {
      try self.init(text)
    } catch {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(rawValue)
  }
}

public enum DeviceIDError: Error, Sendable, Equatable {
  case empty
  case tooLong
  case mqttWildcard
  case slash
  case whitespaceOrControl

  /// A message fit for `fieldErrors`.
  public var message: String {
    switch self {
    case .empty: "must not be empty"
    case .tooLong: "must be at most \(DeviceID.maximumLength) characters"
    case .mqttWildcard: "must not contain MQTT wildcards (+ or #)"
    case .slash: "must not contain '/'"
    case .whitespaceOrControl: "must not contain spaces or control characters"
    }
  }
}
