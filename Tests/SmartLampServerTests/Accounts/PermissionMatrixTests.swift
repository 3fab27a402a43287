import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import ServerTestSupport
import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

@testable import SmartLampServer

/// Every route the server registers × every kind of caller, from one table (the `PermissionMatrix+*.swift` files
/// hold the routes, the callers and the contract's rules). A second test checks that the table names exactly the
/// routes the router serves, so a new route cannot skip the matrix.
@Suite struct PermissionMatrixTests {
  /// The ids and counters a route's URI and body refer to.
  struct Fixture: Sendable {
    let targetId: Int64
    let victimId: Int64
    let clientId: Int64
    /// A schedule on the matrix lamp, made by the admin.
    let scheduleId: Int64
    /// One schedule per caller on the matrix lamp, for DELETE (so an earlier caller's success cannot turn a later
    /// one's answer into a 404).
    let doomedScheduleId: Int64
    let callerIndex: Int
    /// Unique per request (new emails, device ids, idempotency keys).
    let counter: Int
  }

  struct Route: Sendable {
    let method: HTTPRequest.Method
    /// As the router describes it (parameter names do not matter).
    let template: String
    let uri: @Sendable (Fixture) -> String
    /// Sends an `Idempotency-Key` (CONTRACT §6).
    let idempotent: Bool
    /// An endless event stream: only the head is read.
    let stream: Bool
    let body: @Sendable (Fixture) -> JSONValue?
    let expected: Rule

    init(
      _ method: HTTPRequest.Method, _ template: String, uri: (@Sendable (Fixture) -> String)? = nil,
      idempotent: Bool = false, stream: Bool = false, body: @escaping @Sendable (Fixture) -> JSONValue? = { _ in nil },
      expected: @escaping Rule
    ) {
      self.method = method
      self.template = template
      self.uri = uri ?? { _ in template }
      self.idempotent = idempotent
      self.stream = stream
      self.body = body
      self.expected = expected
    }

    var name: String { "\(method.rawValue) \(template)" }
  }

  /// Logout is last: it ends the caller's session.
  static let table: [Route] =
    accountRoutes + deviceRoutes + scheduleRoutes + commandRoutes + publicRoutes + metricsRoutes + dashboardRoutes
    + [logout]

  @Test(arguments: StoreEngine.all) func everyRouteAnswersEveryCallerAsTheTableSays(engine: StoreEngine) async throws {
    let server = try await Accounts.server(on: engine) {
      $0.loginRateLimitMax = 100_000
      $0.mqttURL = "mqtt://127.0.0.1:\(freePort())"
    }
    try await server.seedDevices([Self.matrixLamp] + Caller.all.indices.map(Self.doomedLamp))
    // Issued now: the retention service prunes commands older than 90 days 30 s after start, and a slow run of the
    // matrix outlasts that (a fixed 2026-01-01 row vanished mid-run and answered 404).
    let issuedAt = Timestamp.nowMillis()
    try await server.execute(
      """
      INSERT INTO command_logs (request_id, device_id, device_public_id, action, issued_at, expires_at, result,
        created_at)
      SELECT ?, id, device_id, 'ON', ?, ?, 'ACKED', ?
      FROM devices WHERE device_id = ?
      """,
      [
        .text(Self.seededCommand), .int64(issuedAt), .int64(issuedAt + 3000), .text(Timestamp.iso(issuedAt)),
        .text(Self.matrixLamp),
      ])
    // Live: the stream routes are probed over a real socket (SSEClient).
    try await server.run(.live) { client in
      let port = try #require(client.port)
      let setup = try await MatrixSetup.make(client)
      var counter = 0
      for (index, caller) in Caller.all.enumerated() {
        let credential = try await setup.credential(for: caller, index: index)
        for route in Self.table {
          counter += 1
          let fixture = setup.fixture(callerIndex: index, counter: counter)
          var headers = HTTPFields()
          if route.idempotent { headers[.idempotencyKey] = "matrix-\(counter)" }
          let (status, code, contentType): (Int, String?, String?)
          if route.stream {
            let answer = try await SSEClient.probe(
              port: port, path: route.uri(fixture), headers: headers.merging(credential.headers))
            let envelope = try? JSONDecoder().decode(EnvelopeProbe.self, from: answer.body)
            (status, code, contentType) = (answer.status, envelope?.error?.code, answer.headers["content-type"])
          } else {
            let reply = try await client.call(
              route.method, route.uri(fixture), as: credential, json: route.body(fixture), headers: headers)
            (status, code, contentType) = (Int(reply.status.code), reply.code, reply.headers[.contentType])
          }
          let expected = route.expected(caller)
          let check = {
            Self.verify(route, caller, status: status, code: code, contentType: contentType, expected: expected)
          }
          if let issue = Self.knownIssues["\(route.name) as \(caller)"] {
            withKnownIssue(Comment(rawValue: issue)) { check() }
          } else {
            check()
          }
        }
      }
    }
  }

  static func verify(
    _ route: Route, _ caller: Caller, status: Int, code: String?, contentType: String?, expected: Int
  ) {
    let what = "\(route.name) as \(caller): \(status) \(code ?? "")"
    #expect(status == expected, "\(what), expected \(expected)")
    guard status == expected else { return }
    switch status {
    case 401:
      #expect(["NOT_AUTHENTICATED", "AUTH_INVALID_TOKEN", "AUTH_INVALID_CREDENTIALS"].contains(code), "\(what)")
    case 403: #expect(code?.hasPrefix("FORBIDDEN_") == true, "\(what)")
    case 503 where route.template.hasPrefix("/api/v1/commands"): #expect(code == "BROKER_UNAVAILABLE", "\(what)")
    case 400...: #expect(code != nil, "\(what) answered an envelope")
    default:
      if route.stream { #expect(contentType?.hasPrefix("text/event-stream") == true, "\(what) \(contentType ?? "")") }
    }
  }

  /// `"<METHOD> <template> as <caller>"` entries would name routes that differ from the contract today; none do.
  static let knownIssues: [String: String] = [:]

  static func normalise(_ path: String) -> String {
    path.split(separator: "/", omittingEmptySubsequences: true).map { segment in
      segment.hasPrefix(":") || segment.hasPrefix("{") ? "{}" : String(segment)
    }.reduce("") { $0 + "/" + $1 }
  }

  @Test func theTableCoversEveryRegisteredRoute() async throws {
    let server = Accounts.server()
    let logger = Logger.quiet()
    let configuration = server.configuration
    let database = try await StoreBootstrap.open(configuration: configuration, logger: logger)
    do {
      let services = AppServices(
        configuration: configuration, database: database, logger: logger,
        accounts: try await AccountsServices(configuration: configuration, database: database, logger: logger),
        lamps: try await LampServices(configuration: configuration, database: database, logger: logger))
      let served = Set(
        buildRouter(services).routes
          .filter { $0.method != .head && $0.method != .options }
          .map { "\($0.method.rawValue) \(Self.normalise($0.path.description))" })
      let listed = Self.table.map { "\($0.method.rawValue) \(Self.normalise($0.template))" }
      #expect(served.subtracting(listed).sorted() == [], "registered but missing from the permission matrix")
      #expect(Set(listed).subtracting(served).sorted() == [], "in the matrix but not registered")
      #expect(Set(listed).count == listed.count, "a route is listed twice")
      #expect(served.count >= 32)
    }
    try await database.close()
  }
}
