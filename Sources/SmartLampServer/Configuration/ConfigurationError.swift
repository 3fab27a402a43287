/// A setting that failed validation; `description` is the one line printed before the process exits.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
  public let setting: String
  public let source: String
  public let message: String

  public init(setting: String, source: String, message: String) {
    self.setting = setting
    self.source = source
    self.message = message
  }

  public var description: String { "invalid setting \(setting) (from \(source)): \(message)" }
}
