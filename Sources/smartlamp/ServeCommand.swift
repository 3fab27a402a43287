import ArgumentParser
import Hummingbird
import Logging
import SmartLampServer

/// `smartlamp serve`: the API, realtime stream and dashboard until SIGTERM/SIGINT, which drain in-flight requests
/// and exit 0.
struct ServeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve", abstract: "Serve the API, realtime stream and dashboard.")

  @OptionGroup var options: ConfigOptions

  @Flag(name: .long, help: "Also run simulated lamps on the broker (setting demo).")
  var demo = false

  func run() async throws {
    let config = try options.load(extra: demo ? [("demo", "true")] : [])
    SmartLampLogHandler.bootstrap(config)
    let logger = Logger(label: "smartlamp")
    let app: any ApplicationProtocol
    do {
      app = try await buildApplication(configuration: config, logger: logger) { channel in
        let address = channel.localAddress.map { "\($0.ipAddress ?? config.httpHost):\($0.port ?? config.httpPort)" }
        logger.notice("listening", metadata: ["address": .string(address ?? "?")])
      }
    } catch let error as StartupError {
      logger.critical("cannot start: \(error.description)")
      throw ExitCode(1)
    }
    try await app.runService()
  }
}
