import Foundation

/// A command's action. Published as the plain text `ON`/`OFF`.
public enum PowerAction: String, Sendable, Hashable, Codable, CaseIterable {
  case on = "ON"
  case off = "OFF"

  /// Parses case-insensitively after trimming; nil for anything else.
  public init?(parsing value: String) {
    self.init(rawValue: value.trimmingCharacters(in: .whitespaces).uppercased())
  }

  public var powerState: PowerState { self == .on ? .on : .off }
}

/// A channel's known state.
public enum PowerState: String, Sendable, Hashable, Codable, CaseIterable {
  case on = "ON"
  case off = "OFF"
  case unknown = "UNKNOWN"

  /// Parses stored text; anything unrecognised is `UNKNOWN`.
  public init(storedValue: String) {
    self = PowerState(rawValue: storedValue.uppercased()) ?? .unknown
  }
}
