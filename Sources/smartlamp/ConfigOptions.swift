import ArgumentParser
import Foundation
import SmartLampServer

/// Options every command that reads the configuration shares; each is a flag source for ``ConfigurationLoader``.
struct ConfigOptions: ParsableArguments {
  @Option(name: .long, help: "JSON configuration file (also SMARTLAMP_CONFIG).")
  var config: String?

  @Option(
    name: .long, help: ArgumentHelp("Set any setting, e.g. --set http.port=9000 (repeatable).", valueName: "key=value"))
  var set: [String] = []

  @Option(name: .long, help: "Database URL (setting database.url).")
  var databaseURL: String?

  @Option(name: .long, help: "HTTP bind address (setting http.host).")
  var host: String?

  @Option(name: .long, help: "HTTP port (setting http.port).")
  var port: String?

  @Option(name: .long, help: "MQTT broker URL (setting mqtt.url).")
  var mqttURL: String?

  @Option(name: .long, help: "Log level (setting log.level).")
  var logLevel: String?

  @Option(name: .long, help: "Log format text|json (setting log.format).")
  var logFormat: String?

  func flagValues() throws -> [(key: String, value: String)] {
    var flags: [(key: String, value: String)] = []
    for item in set {
      guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
        throw ValidationError("--set expects key=value, got '\(item)'")
      }
      flags.append((String(item[..<eq]), String(item[item.index(after: eq)...])))
    }
    let named: [(String, String?)] = [
      ("database.url", databaseURL), ("http.host", host), ("http.port", port), ("mqtt.url", mqttURL),
      ("log.level", logLevel), ("log.format", logFormat),
    ]
    for case let (key, value?) in named { flags.append((key, value)) }
    return flags
  }

  /// Loads and validates; a bad setting prints one line naming it and exits with status 2.
  func load(extra: [(key: String, value: String)] = []) throws -> Configuration {
    let loader = ConfigurationLoader(configFile: config, flags: try flagValues() + extra)
    do {
      return try loader.load()
    } catch {
      FileHandle.standardError.write(Data("smartlamp: \(error.description)\n".utf8))
      throw ExitCode(2)
    }
  }
}
