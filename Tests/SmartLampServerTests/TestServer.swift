import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import TestSupport

@testable import SmartLampServer

/// A configuration for one test: its own SQLite file and dashboard folder, port 0, quiet logs.
struct TestServer {
  let directory = TemporaryDirectory(prefix: "smartlamp-server")
  var configuration = Configuration()

  init(_ adjust: (inout Configuration) -> Void = { _ in }) {
    configuration.database = .sqlite(path: directory.file("smartlamp.sqlite"))
    configuration.databaseURL = "sqlite://" + directory.file("smartlamp.sqlite")
    configuration.dataDirectory = directory.file("data")
    configuration.httpPort = 0
    configuration.logLevel = .error
    configuration.bcryptCost = 4
    let dashboard = directory.file("dashboard")
    try! FileManager.default.createDirectory(atPath: dashboard + "/assets", withIntermediateDirectories: true)
    try! "<!doctype html><title>SmartLamp</title>".write(
      toFile: dashboard + "/index.html", atomically: true, encoding: .utf8)
    try! "console.log('app')".write(toFile: dashboard + "/assets/app.js", atomically: true, encoding: .utf8)
    try! "secret".write(toFile: directory.file("outside.txt"), atomically: true, encoding: .utf8)
    configuration.dashboardDirectory = dashboard
    adjust(&configuration)
  }

  /// The same server on `engine`: SQLite as ``init(_:)`` has it, or a fresh database on the shared test MariaDB.
  static func on(_ engine: StoreEngine, _ adjust: (inout Configuration) -> Void = { _ in }) async throws -> TestServer {
    var server = TestServer(adjust)
    if engine == .mariadb {
      let database = try await MariaDBServer.shared().createDatabase(prefix: "srv")
      server.configuration.database = .mariadb(
        host: "127.0.0.1", port: database.server.port, user: database.server.user,
        password: database.server.password, database: database.name)
      server.configuration.databaseURL = database.url
    }
    return server
  }

  /// Runs the application for `body`. Requests go through the router without a socket unless a test asks for
  /// `.live` (a broker, server-sent events, two servers, a real connection or its address).
  func run<T: Sendable>(
    _ mode: TestingSetup = .router, _ body: @Sendable (any TestClientProtocol) async throws -> T
  ) async throws -> T {
    let logger = Logger.quiet()
    // A test that names no broker gets none: nothing dials the default 127.0.0.1:1883.
    let dependencies: ServerDependencies =
      configuration.mqttURL == Configuration().mqttURL ? .withoutBroker() : .standard
    let app = try await buildApplication(configuration: configuration, dependencies: dependencies, logger: logger)
    return try await app.test(mode, body)
  }
}

extension JSONValue {
  subscript(key: String) -> JSONValue? {
    if case .object(let object) = self { return object[key] }
    return nil
  }
  var string: String? {
    if case .string(let value) = self { return value }
    return nil
  }
}
