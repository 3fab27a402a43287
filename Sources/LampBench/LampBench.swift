/// Issue 6's lamp benchmark, as a release-mode executable: the real server built in this process on a given
/// Mosquitto, driven through its HTTP API and the broker, printing one table:
///
/// 1. raw MQTT round trip with our client (publish `cmnd` → simulator reply observed), next to
/// 2. `POST /api/v1/commands/execute` with `waitForAck` → `ACKED`, interleaved in the same run, with a per-phase
///    breakdown taken from an independent broker observer;
/// 3. SSE fan-out: publish of a state report → frame read on each of N open `/api/v1/realtime/stream` clients;
/// 4. state ingest: device reports per second for N registered, connected simulated devices.
///
///     LampBench --broker mqtt://127.0.0.1:1883 [--rounds 1000] [--streams 1000] [--fanout-rounds 20]
///               [--devices 1000] [--messages 100000] [--window 256] [--phases commands,fanout,ingest]
///
/// scripts/bench-lamps.sh builds it in release mode, starts a private Mosquitto and runs it.
import Foundation
import Logging
import MQTT
import NIOCore
import NIOPosix

@main
struct LampBench {
  struct Options {
    var broker = "mqtt://127.0.0.1:1883"
    var rounds = 1000
    /// The command phase runs this many times; the report shows the round with the median overhead (one run on
    /// a shared 2-core machine can be disturbed by anything else running).
    var commandRounds = 3
    var streams = 1000
    var fanOutRounds = 20
    var devices = 1000
    var messages = 100_000
    var window = 256
    var phases: Set<String> = ["commands", "fanout", "ingest"]
    /// Devices the `registration` phase registers (a phase of its own, not in the default set).
    var register = 10_000

    init(_ arguments: [String]) throws {
      var iterator = arguments.makeIterator()
      while let key = iterator.next() {
        guard key.hasPrefix("--"), let value = iterator.next() else { throw usage }
        let number = Int(value)
        switch key {
        case "--broker": broker = value
        case "--rounds": rounds = try positive(number)
        case "--command-rounds": commandRounds = try positive(number)
        case "--streams": streams = try positive(number)
        case "--fanout-rounds": fanOutRounds = try positive(number)
        case "--devices": devices = try positive(number)
        case "--messages": messages = try positive(number)
        case "--window": window = try positive(number)
        case "--phases": phases = Set(value.split(separator: ",").map(String.init))
        case "--register": register = try positive(number)
        default: throw usage
        }
      }
    }

    private func positive(_ value: Int?) throws -> Int {
      guard let value, value > 0 else { throw usage }
      return value
    }

    private var usage: RawHTTPClient.Failure {
      RawHTTPClient.Failure(
        description:
          "usage: LampBench --broker URL [--rounds N] [--command-rounds N] [--streams N] [--fanout-rounds N] [--devices N] "
          + "[--messages N] [--window N] [--phases commands,fanout,ingest,registration] [--register N]")
    }
  }

  static func main() async {
    do {
      try await run(Options(Array(CommandLine.arguments.dropFirst())))
    } catch {
      print("LampBench failed: \(error)")
      exit(1)
    }
  }

  static func run(_ options: Options) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "lampbench-\(UInt32.random(in: 0...UInt32.max))"
    ).path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let server = try await BenchServer.start(brokerURL: options.broker, directory: directory)
    do {
      let context = try await BenchContext.make(server: server, broker: options.broker)
      // Skipped phases report empty figures (for profiling one phase at a time).
      var registration = Registration.Result()
      if options.phases.contains("registration") {
        // First, on an empty server: every later phase registers its devices on top.
        registration = try await Progress.phase("device registration", limit: .seconds(1800)) {
          try await Registration.run(context, devices: options.register)
        }
      }
      var commands: [CommandRoundTrip.Result] = []
      if options.phases.contains("commands") {
        for index in 1...options.commandRounds {
          commands.append(
            try await Progress.phase("command round trips \(index)/\(options.commandRounds)", limit: .seconds(300)) {
              try await CommandRoundTrip.run(context, rounds: options.rounds)
            })
        }
      }
      var fanOut = FanOut.Result()
      if options.phases.contains("fanout") {
        fanOut = try await Progress.phase("SSE fan-out", limit: .seconds(300)) {
          try await FanOut.run(context, streams: options.streams, rounds: options.fanOutRounds)
        }
      }
      var ingest = Ingest.Result()
      if options.phases.contains("ingest") {
        ingest = try await Progress.phase("state ingest", limit: .seconds(600)) {
          try await Ingest.run(context, devices: options.devices, messages: options.messages, window: options.window)
        }
      }
      await context.close()
      Report.print(options: options, commands: commands, fanOut: fanOut, ingest: ingest)
      Registration.print(registration)
    } catch {
      await server.stop()
      throw error
    }
    await server.stop()
  }
}

/// What every phase shares: the server's address, an admin token, an API connection and a quiet logger.
struct BenchContext: Sendable {
  let host = "127.0.0.1"
  let port: Int
  let broker: String
  let token: String
  let api: RawHTTPClient
  let group: any EventLoopGroup
  let logger: Logger

  static func make(server: BenchServer, broker: String) async throws -> BenchContext {
    let group = MultiThreadedEventLoopGroup.singleton
    let api = try await RawHTTPClient.connect(host: "127.0.0.1", port: server.port, group: group)
    let deadline = ContinuousClock.now + .seconds(30)
    while try await api.send("GET", "/api/v1/health/ready").status != 200 {
      guard ContinuousClock.now < deadline else { throw RawHTTPClient.Failure(description: "server not ready") }
      try await Task.sleep(for: .milliseconds(50))
    }
    let login = try await api.send(
      "POST", "/api/v1/auth/login",
      body: "{\"email\":\"\(BenchServer.adminEmail)\",\"password\":\"\(BenchServer.adminPassword)\"}")
    guard login.status == 200, let token = login.cookie("auth_token") else {
      throw RawHTTPClient.Failure(description: "login failed: \(login.status) \(login.body)")
    }
    var logger = Logger(label: "lampbench")
    logger.logLevel = .error
    return BenchContext(port: server.port, broker: broker, token: token, api: api, group: group, logger: logger)
  }

  var authorization: (String, String) { ("Authorization", "Bearer \(token)") }

  /// Registers devices as the admin (idempotent per id).
  func createDevice(_ id: String) async throws {
    let reply = try await api.send(
      "POST", "/api/v1/devices", headers: [authorization, ("Idempotency-Key", "create-\(id)")],
      body: "{\"deviceId\":\"\(id)\",\"name\":\"Bench \(id)\"}")
    guard reply.status == 201 else {
      throw RawHTTPClient.Failure(description: "device \(id) not created: \(reply.status) \(reply.body)")
    }
  }

  func mqttClient(_ name: String, buffer: Int = 1 << 16) throws -> MQTTClient {
    var configuration = try MQTTClientConfiguration(
      url: broker, clientID: "lampbench-\(name)-\(UInt32.random(in: 0...UInt32.max))")
    configuration.subscriptionBufferSize = buffer
    configuration.ackTimeout = .seconds(30)
    return MQTTClient(configuration: configuration, logger: logger)
  }

  func close() async { await api.close() }
}
