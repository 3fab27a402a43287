/// Secrets never reach a log through a printed configuration: ServiceLifecycle logs its services at debug level,
/// and a service that holds the configuration prints it field by field.
extension Configuration: CustomStringConvertible, CustomDebugStringConvertible {
  /// Fields that hold a secret setting (`Setting.secret`), or a value derived from one.
  static let secretFields: Set<String> = [
    "databaseURL", "database", "mqttPassword", "jwtSecret", "adminPassword", "metricsToken",
  ]

  public var description: String {
    let fields = Mirror(reflecting: self).children.compactMap { child -> String? in
      guard let label = child.label else { return nil }
      if Self.secretFields.contains(label) { return "\(label): <redacted>" }
      return "\(label): \(String(reflecting: child.value))"
    }
    return "Configuration(" + fields.joined(separator: ", ") + ")"
  }

  public var debugDescription: String { description }
}
