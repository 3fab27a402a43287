import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import SmartLampServer

/// The real server, built in this process with `buildApplication(configuration:)` on its own SQLite file and a
/// free port, run under a ServiceGroup like `smartlamp serve` does.
struct BenchServer {
  static let adminEmail = "bench@example.com"
  static let adminPassword = "bench-password-1"

  let port: Int
  private let group: ServiceGroup
  private let task: Task<Void, any Error>

  static func start(brokerURL: String, directory: String) async throws -> BenchServer {
    var configuration = SmartLampServer.Configuration()
    let database = directory + "/smartlamp.sqlite"
    configuration.database = .sqlite(path: database)
    configuration.databaseURL = "sqlite://" + database
    configuration.dataDirectory = directory + "/data"
    configuration.httpPort = 0
    configuration.mqttURL = brokerURL
    configuration.adminEmail = adminEmail
    configuration.adminPassword = adminPassword
    configuration.bcryptCost = 4
    configuration.accessTokenTTLSec = 6 * 3600
    // Raised, not disabled: the limiter's database write stays in the measured path as in production.
    configuration.commandRateLimitMax = 1_000_000
    configuration.logLevel = .error
    // Thousands of streams from one admin on one loopback address: the caps of issue #10 would end them.
    configuration.maxConnectionsPerAddress = 0
    configuration.realtimeMaxStreamsPerSession = 0
    configuration.realtimeMaxStreamsPerPerson = 0
    var logger = Logger(label: "smartlamp")
    logger.logLevel = .error
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = try await buildApplication(configuration: configuration, logger: logger) { channel in
      continuation.yield(channel.localAddress?.port ?? 0)
      continuation.finish()
    }
    let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
    let task = Task { try await group.run() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next(), port > 0 else {
      await group.triggerGracefulShutdown()
      _ = try? await task.value
      throw RawHTTPClient.Failure(description: "the server did not start")
    }
    return BenchServer(port: port, group: group, task: task)
  }

  func stop() async {
    await group.triggerGracefulShutdown()
    _ = try? await task.value
  }
}
