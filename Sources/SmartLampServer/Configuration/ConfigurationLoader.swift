import Foundation
import SmartLampCore

/// Builds a ``Configuration`` from defaults ← config file ← environment (and `.env`) ← command-line flags.
/// The first bad value stops loading with a ``ConfigurationError`` naming the setting and where it came from.
public struct ConfigurationLoader: Sendable {
  public var environment: [String: String]
  public var configFile: String?
  public var dotEnvFile: String?
  public var flags: [(key: String, value: String)]

  public init(
    environment: [String: String] = ProcessInfo.processInfo.environment,
    configFile: String? = nil,
    dotEnvFile: String? = ".env",
    flags: [(key: String, value: String)] = []
  ) {
    self.environment = environment
    self.configFile = configFile ?? environment["SMARTLAMP_CONFIG"]
    self.dotEnvFile = environment["SMARTLAMP_ENV_FILE"] ?? dotEnvFile
    self.flags = flags
  }

  public func load() throws(ConfigurationError) -> Configuration {
    var config = Configuration()
    if let configFile {
      for (key, value) in try Self.readConfigFile(configFile) {
        try apply(key: key, raw: value, source: "config file \(configFile)", to: &config)
      }
    }
    if let dotEnvFile, FileManager.default.fileExists(atPath: dotEnvFile) {
      let values: [String: String]
      do { values = try DotEnv.parse(contentsOf: dotEnvFile) } catch {
        throw ConfigurationError(setting: dotEnvFile, source: ".env", message: "\(error)")
      }
      // The real environment wins over .env, so .env only fills what the environment does not set.
      try applyEnvironment(values.filter { environment[$0.key] == nil }, source: ".env file", to: &config)
    }
    try applyEnvironment(environment, source: "environment", to: &config)
    for flag in flags {
      try apply(key: flag.key, raw: flag.value, source: "flag", to: &config)
    }
    try Self.validateTogether(config)
    return config
  }

  private func applyEnvironment(_ values: [String: String], source: String, to config: inout Configuration)
    throws(ConfigurationError)
  {
    for setting in Setting.all {
      guard let raw = values[setting.environmentName] else { continue }
      try apply(setting: setting, raw: raw, source: "\(source) \(setting.environmentName)", to: &config)
    }
  }

  private func apply(key: String, raw: String, source: String, to config: inout Configuration)
    throws(ConfigurationError)
  {
    guard let setting = Setting.named(key) else {
      throw ConfigurationError(setting: key, source: source, message: "unknown setting (see `smartlamp settings`)")
    }
    try apply(setting: setting, raw: raw, source: source, to: &config)
  }

  private func apply(setting: Setting, raw: String, source: String, to config: inout Configuration)
    throws(ConfigurationError)
  {
    do {
      try setting.apply(&config, raw)
    } catch {
      throw ConfigurationError(setting: setting.key, source: source, message: error.message)
    }
  }

  static func validateTogether(_ config: Configuration) throws(ConfigurationError) {
    if (config.adminEmail == nil) != (config.adminPassword == nil) {
      throw ConfigurationError(
        setting: config.adminEmail == nil ? "admin.email" : "admin.password", source: "settings",
        message: "admin.email and admin.password must be given together")
    }
    if let email = config.adminEmail, !Validation.isValidEmail(email) {
      throw ConfigurationError(
        setting: "admin.email", source: "settings", message: "'\(email)' is not an email address")
    }
    if (config.mqttClientCertificateFile == nil) != (config.mqttClientKeyFile == nil) {
      throw ConfigurationError(
        setting: "mqtt.client-key-file", source: "settings",
        message: "mqtt.client-cert-file and mqtt.client-key-file must be given together")
    }
    if (config.tlsCertificateFile == nil) != (config.tlsKeyFile == nil) {
      throw ConfigurationError(
        setting: config.tlsCertificateFile == nil ? "http.tls-cert-file" : "http.tls-key-file", source: "settings",
        message: "http.tls-cert-file and http.tls-key-file must be given together")
    }
    if let redirect = config.httpRedirectPort {
      guard config.servesTLS else {
        throw ConfigurationError(
          setting: "http.redirect-port", source: "settings",
          message: "only redirects to HTTPS: set http.tls-cert-file and http.tls-key-file too")
      }
      guard redirect != config.httpPort else {
        throw ConfigurationError(
          setting: "http.redirect-port", source: "settings", message: "must differ from http.port")
      }
    }
  }

  /// Reads a JSON object; nested objects flatten to dotted keys (`{"http": {"port": 80}}` is `http.port`).
  static func readConfigFile(_ path: String) throws(ConfigurationError) -> [(String, String)] {
    let fail = { (message: String) in ConfigurationError(setting: "config", source: path, message: message) }
    guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot read the file") }
    guard data.count <= 1 << 20 else { throw fail("larger than 1 MiB") }
    let root: [String: JSONValue]
    do { root = try JSONDecoder().decode([String: JSONValue].self, from: data) } catch {
      throw fail("not valid JSON, or the top level is not a JSON object")
    }
    var result: [(String, String)] = []
    func scalar(_ value: JSONValue) -> String? {
      switch value {
      case .null: return ""
      case .bool(let flag): return flag ? "true" : "false"
      case .int(let number): return String(number)
      case .double(let number): return String(number)
      case .string(let text): return text
      case .array, .object: return nil
      }
    }
    func walk(_ dict: [String: JSONValue], prefix: String) throws(ConfigurationError) {
      for key in dict.keys.sorted() {
        let full = prefix.isEmpty ? key : "\(prefix).\(key)"
        switch dict[key] ?? .null {
        case .object(let nested): try walk(nested, prefix: full)
        case .array(let items):
          let parts = items.compactMap(scalar)
          guard parts.count == items.count else { throw fail("\(full) must be a list of plain values") }
          result.append((full, parts.joined(separator: ",")))
        case let value: result.append((full, scalar(value) ?? ""))
        }
      }
    }
    try walk(root, prefix: "")
    return result
  }
}
