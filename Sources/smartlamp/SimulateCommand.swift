import ArgumentParser
import DeviceSimulator
import Foundation
import Logging
import MQTT
import ServiceLifecycle

/// `smartlamp simulate`: simulated Tasmota lamps on any broker the server can use, until SIGINT/SIGTERM.
struct SimulateCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "simulate",
    abstract: "Run simulated Tasmota or native SmartLamp lamps on an MQTT broker.",
    discussion: """
      Each device has its own connection and Will (tele/<topic>/LWT Offline), publishes LWT Online and its \
      native discovery config (retained), answers cmnd/<topic>/POWER<n> and STATUS like Tasmota, and sends \
      tele/<topic>/STATE every teleperiod. With --profile native each device is a SmartLamp ESP32 lamp instead: \
      home/<topic>/lwt ONLINE (Will OFFLINE), its state retained on home/<topic>/status, plain ON/OFF/TOGGLE on \
      cmnd/<topic>/POWER, or only signed envelopes when --secret-file is given. One line is printed per command \
      handled.
      """
  )

  @Option(help: "Broker URL: mqtt://, mqtts://, ws:// or wss://.")
  var broker = "mqtt://127.0.0.1:1883"

  @Option(help: "Number of simulated devices.")
  var devices = 1

  @Option(help: "Relays per device (1-32).")
  var relays = 1

  @Option(help: "Device topic prefix: topics are <prefix>_000001, <prefix>_000002, ...")
  var prefix = "tasmota"

  @Option(name: .customLong("latency-ms"), help: "Reply latency in milliseconds.")
  var latencyMilliseconds = 0

  @Option(name: .customLong("drop-rate"), help: "Probability (0-1) that a command's replies are dropped.")
  var dropRate = 0.0

  @Option(help: "Seconds between tele/<topic>/STATE messages (0 disables them).")
  var teleperiod = 300

  @Option(help: "Broker user name.")
  var username: String?

  @Option(help: "Broker password.")
  var password: String?

  @Option(name: .customLong("ca-file"), help: "PEM CA certificate for mqtts:// and wss:// brokers.")
  var caFile: String?

  @Option(help: "Device profile: tasmota or native (the SmartLamp ESP32 firmware's home/<topic>/… topics).")
  var profile = "tasmota"

  @Option(
    name: .customLong("secret-file"),
    help: "Native profile: a file whose first line is the devices' signing secret; they then take only signed commands."
  )
  var secretFile: String?

  @Flag(help: "Print connection events as well as commands.")
  var verbose = false

  func validate() throws {
    guard (1...100_000).contains(devices) else { throw ValidationError("--devices must be between 1 and 100000") }
    guard (1...32).contains(relays) else { throw ValidationError("--relays must be between 1 and 32") }
    guard latencyMilliseconds >= 0 else { throw ValidationError("--latency-ms must not be negative") }
    guard dropRate >= 0, dropRate <= 1 else { throw ValidationError("--drop-rate must be between 0 and 1") }
    guard teleperiod >= 0 else { throw ValidationError("--teleperiod must not be negative") }
    guard !prefix.isEmpty, !prefix.contains(where: { "/+#".contains($0) }) else {
      throw ValidationError("--prefix must be non-empty and contain no '/', '+' or '#'")
    }
    guard let chosen = SimulatorProfile(rawValue: profile) else {
      throw ValidationError("--profile must be tasmota or native")
    }
    guard secretFile == nil || chosen == .native else {
      throw ValidationError("--secret-file needs --profile native")
    }
  }

  /// The secret's first line, as the firmware's configuration holds it.
  private func readSecret() throws -> String? {
    guard let secretFile else { return nil }
    guard let text = try? String(contentsOfFile: secretFile, encoding: .utf8),
      let line = text.split(whereSeparator: \.isNewline).first, !line.isEmpty
    else { throw ValidationError("--secret-file: cannot read a secret from \(secretFile)") }
    return String(line)
  }

  func run() async throws {
    var logger = Logger(label: "smartlamp.simulate")
    logger.logLevel = verbose ? .info : .warning
    var configuration = DeviceSimulatorConfiguration.fleet(
      brokerURL: broker, count: devices, relays: relays, prefix: prefix, teleperiod: .seconds(teleperiod),
      faults: FaultPolicy(latency: .milliseconds(latencyMilliseconds), dropRate: dropRate),
      profile: SimulatorProfile(rawValue: profile) ?? .tasmota, secret: try readSecret())
    configuration.username = username
    configuration.password = password
    configuration.caFile = caFile
    let simulator: DeviceSimulator
    do {
      simulator = try DeviceSimulator(configuration: configuration, logger: logger)
    } catch {
      throw ValidationError("\(error)")
    }
    writeLine("simulating \(devices) \(profile) device(s) with \(relays) relay(s) on \(broker); Ctrl-C stops")
    let verbose = self.verbose
    let printer = Task {
      for await event in simulator.events {
        switch event {
        case .command: writeLine(event.description)
        case .online, .offline, .connectFailed: if verbose { writeLine(event.description) }
        }
      }
    }
    let group = ServiceGroup(
      services: [SimulatorService(simulator: simulator)], gracefulShutdownSignals: [.sigterm, .sigint],
      logger: logger)
    try await group.run()
    await printer.value
  }
}

/// The simulator as a service, so SIGINT/SIGTERM end it gracefully (every device leaves LWT Offline behind).
struct SimulatorService: Service {
  let simulator: DeviceSimulator

  func run() async throws {
    let simulator = self.simulator
    await cancelWhenGracefulShutdown { await simulator.run() }
  }
}

/// Writes one line straight to standard output: unbuffered, so a pipe sees every command as it happens.
private func writeLine(_ line: String) {
  FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
