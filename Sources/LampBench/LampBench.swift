/// The lamp benchmarks of issues 6 and 10, as one executable: the real `smartlamp serve` (the binary beside this one)
/// started as a child process on a given Mosquitto, driven through its HTTP API and the broker. Every figure is
/// printed next to a baseline measured in the same run:
///
/// - `startup`: exec → first healthy answer, on a fresh database and again on the same file; idle RSS.
/// - `registration`: devices registered one after the other, the time per device at 100, 1 000 and 10 000.
/// - `commands`: the raw MQTT round trip next to `POST /api/v1/commands/execute` with `waitForAck`, per-phase split.
/// - `fanout`: SSE fan-out to N streams, 1 % of them readers that never read (dropped by the hub without slowing
///   the others); p99 publish → frame with and without a flood on the slow readers' lamp; memory per idle stream.
/// - `ingest`: state reports applied per second with N simulated devices connected, next to a bare subscriber (our
///   MQTT client alone) receiving the same stream from the same broker; then the server's RSS with those devices
///   and M streams open.
/// - `batch`: `POST /api/v1/commands/batch` on L lamps, all ACKED, next to L raw round trips pipelined.
/// - `load`: the command overhead under load (L lamps, S streams open, C clients at R commands/s in all) next to
///   raw round trips taken at the same time; the streams are the admin's, each seeing every lamp (the worst case).
/// - `load-households` (not in the default set): the same with members' streams, each member seeing the lamps of
///   one household of H (`--household`, default 10), as in a building of households.
///
///     LampBench --broker mqtt://127.0.0.1:1883 [--phases startup,commands,fanout,ingest,batch,load] [--rounds 1000]
///               [--streams 1000] [--slow-percent 1] [--devices 1000] [--messages 100000] [--window 256]
///               [--lamps 1000] [--load-streams 1000] [--load-clients 20] [--load-rate 100] [--load-seconds 30]
///               [--rss-streams 1000] [--register 10000] [--household 10] [--smartlamp PATH]
///
/// scripts/bench-lamps.sh builds both binaries, starts a private Mosquitto and runs it.
import Foundation
import Logging
import MQTT
import NIOCore
import NIOPosix

@main
struct LampBench {
  struct Options {
    var broker = "mqtt://127.0.0.1:1883"
    var smartlamp = BenchServer.defaultBinary()
    var rounds = 1000
    /// The command phase runs this many times; the report shows the round with the median overhead (one run on
    /// a shared 2-core machine can be disturbed by anything else running).
    var commandRounds = 3
    var streams = 1000
    var slowPercent = 1.0
    var fanOutRounds = 20
    var devices = 1000
    var messages = 100_000
    var window = 256
    /// Streams open while the server's RSS is read with `devices` connected (after the ingest phase).
    var rssStreams = 1000
    /// Lamps of the batch and load phases.
    var lamps = 1000
    var batchRounds = 3
    var loadStreams = 1000
    var loadClients = 20
    /// Commands per second, all clients together.
    var loadRate = 100
    var loadSeconds = 30
    /// Lamps per household in phase `load-households` (members' streams instead of the admin's).
    var household = 10
    var phases: Set<String> = ["startup", "commands", "fanout", "ingest", "batch", "load"]
    /// Devices the `registration` phase registers (a phase of its own, not in the default set).
    var register = 10_000

    init(_ arguments: [String]) throws {
      var iterator = arguments.makeIterator()
      while let key = iterator.next() {
        guard key.hasPrefix("--"), let value = iterator.next() else { throw usage }
        let number = Int(value)
        switch key {
        case "--broker": broker = value
        case "--smartlamp": smartlamp = value
        case "--rounds": rounds = try positive(number)
        case "--command-rounds": commandRounds = try positive(number)
        case "--streams": streams = try positive(number)
        case "--slow-percent":
          guard let percent = Double(value), (0..<100).contains(percent) else { throw usage }
          slowPercent = percent
        case "--fanout-rounds": fanOutRounds = try positive(number)
        case "--devices": devices = try positive(number)
        case "--messages": messages = try positive(number)
        case "--window": window = try positive(number)
        case "--rss-streams": rssStreams = try nonNegative(number)
        case "--lamps": lamps = try positive(number)
        case "--batch-rounds": batchRounds = try positive(number)
        case "--load-streams": loadStreams = try nonNegative(number)
        case "--load-clients": loadClients = try positive(number)
        case "--load-rate": loadRate = try positive(number)
        case "--load-seconds": loadSeconds = try positive(number)
        case "--household": household = try positive(number)
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

    private func nonNegative(_ value: Int?) throws -> Int {
      guard let value, value >= 0 else { throw usage }
      return value
    }

    private var usage: RawHTTPClient.Failure {
      RawHTTPClient.Failure(
        description:
          "usage: LampBench --broker URL [--phases startup,registration,commands,fanout,ingest,batch,load,load-households] "
          + "[--rounds N] [--command-rounds N] [--streams N] [--slow-percent P] [--fanout-rounds N] [--devices N] "
          + "[--messages N] [--window N] [--rss-streams N] [--lamps N] [--batch-rounds N] [--load-streams N] "
          + "[--load-clients N] [--load-rate N] [--load-seconds N] [--register N] [--household N] [--smartlamp PATH]")
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
    var report = Report()
    var server = try await BenchServer.start(binary: options.smartlamp, brokerURL: options.broker, directory: directory)
    if options.phases.contains("startup") {
      Progress.note("start to healthy: \(server.startToHealthy) creating the database; starting again")
      // The first start created the schema and the admin; the second opens what is there, as every later start.
      let fresh = server.startToHealthy
      await server.stop()
      server = try await BenchServer.start(binary: options.smartlamp, brokerURL: options.broker, directory: directory)
      try await Task.sleep(for: .seconds(1))
      report.startup = Startup(fresh: fresh, again: server.startToHealthy, idleRSS: server.residentBytes)
    }
    do {
      let context = try await BenchContext.make(server: server, broker: options.broker)
      if options.phases.contains("registration") {
        // First, on an empty server: every later phase registers its devices on top.
        report.registration = try await Progress.phase("device registration", limit: .seconds(1800)) {
          try await Registration.run(context, devices: options.register)
        }
      }
      if options.phases.contains("commands") {
        for index in 1...options.commandRounds {
          report.commands.append(
            try await Progress.phase("command round trips \(index)/\(options.commandRounds)", limit: .seconds(300)) {
              try await CommandRoundTrip.run(context, rounds: options.rounds)
            })
        }
      }
      if options.phases.contains("fanout") {
        report.fanOut = try await Progress.phase("SSE fan-out", limit: .seconds(900)) {
          try await FanOut.run(
            context, streams: options.streams, slowPercent: options.slowPercent, rounds: options.fanOutRounds)
        }
      }
      if options.phases.contains("ingest") {
        report.ingest = try await Progress.phase("state ingest", limit: .seconds(1200)) {
          try await Ingest.run(
            context, devices: options.devices, messages: options.messages, window: options.window,
            rssStreams: options.rssStreams)
        }
      }
      if options.phases.contains("batch") {
        report.batch = try await Progress.phase("house-wide batch", limit: .seconds(900)) {
          try await BatchRoundTrip.run(context, lamps: options.lamps, rounds: options.batchRounds)
        }
      }
      if options.phases.contains("load") {
        report.load = try await Progress.phase("commands under load", limit: .seconds(900)) {
          try await CommandLoad.run(
            context, lamps: options.lamps, streams: options.loadStreams, clients: options.loadClients,
            rate: options.loadRate, seconds: options.loadSeconds)
        }
      }
      if options.phases.contains("load-households") {
        report.loadHouseholds = try await Progress.phase("commands under load, household streams", limit: .seconds(900))
        {
          try await CommandLoad.run(
            context, lamps: options.lamps, streams: options.loadStreams, clients: options.loadClients,
            rate: options.loadRate, seconds: options.loadSeconds, household: options.household)
        }
      }
      await context.close()
      report.print(options: options)
    } catch {
      await server.stop()
      throw error
    }
    await server.stop()
  }
}

/// Phase `startup`: what a service manager sees.
struct Startup: Sendable {
  var fresh: Duration
  var again: Duration
  var idleRSS: Int
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
  let server: BenchServer

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
    return BenchContext(
      port: server.port, broker: broker, token: token, api: api, group: group, logger: logger, server: server)
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

  /// Registers `ids` (idempotent: a phase may register devices an earlier one did).
  func createDevices(_ ids: [String]) async throws {
    for id in ids { try await createDevice(id) }
  }

  /// Creates a member who may see `devices` (monitoring only) and signs them in; returns their token.
  func createMember(_ email: String, devices: [String]) async throws -> String {
    let password = "member-password-1"
    let created = try await api.send(
      "POST", "/api/v1/users", headers: [authorization],
      body: "{\"name\":\"Bench\",\"email\":\"\(email)\",\"password\":\"\(password)\",\"role\":\"member\"}")
    guard created.status == 201, let range = created.body.range(of: #""id":"#) else {
      throw RawHTTPClient.Failure(description: "member not created: \(created.status) \(created.body)")
    }
    let id = created.body[range.upperBound...].prefix { $0.isNumber }
    let entries = devices.map {
      "{\"deviceId\":\"\($0)\",\"assigned\":true,\"devicePermission\":\"monitoring\",\"schedulePermission\":\"none\"}"
    }
    let assigned = try await api.send(
      "PUT", "/api/v1/users/\(id)/assignments", headers: [authorization],
      body: "{\"assignments\":[\(entries.joined(separator: ","))]}")
    guard assigned.status == 200 else {
      throw RawHTTPClient.Failure(description: "assignment failed: \(assigned.status) \(assigned.body)")
    }
    let login = try await api.send(
      "POST", "/api/v1/auth/login", body: "{\"email\":\"\(email)\",\"password\":\"\(password)\"}")
    guard login.status == 200, let token = login.cookie("auth_token") else {
      throw RawHTTPClient.Failure(description: "member login failed: \(login.status) \(login.body)")
    }
    return token
  }

  /// One sample of the server's `/metrics`: the value of `series` (a family, or `name{labels}` as served).
  func metric(_ series: String) async throws -> Double? {
    let text = try await api.send("GET", "/metrics", headers: [authorization]).body
    for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
      return line.split(separator: " ").last.flatMap { Double($0) }
    }
    return nil
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
