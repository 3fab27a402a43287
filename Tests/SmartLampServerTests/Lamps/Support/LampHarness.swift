import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServerTestSupport
import TestSupport
import Testing

@testable import SmartLampServer

/// One lamp-control test environment: a private Mosquitto, the real server on a free port with its own SQLite file
/// and a first admin, and helpers to call the API as that admin or as other users.
struct LampEnv: Sendable {
  let port: Int
  let broker: MosquittoBroker
  let adminToken: String
  let brokerURL: String

  /// The first admin every server test starts with (one definition: ``Accounts``).
  static let adminEmail = Accounts.adminEmail
  static let adminPassword = Accounts.adminPassword

  /// Runs `body` against a fresh environment and tears everything down afterwards.
  static func with(
    transport: MosquittoBroker.Transport = .tcp, engine: StoreEngine = .sqlite,
    _ adjust: @escaping (inout Configuration) -> Void = { _ in }, _ body: @Sendable (LampEnv) async throws -> Void
  ) async throws {
    let broker = try await MosquittoBroker.start(username: nil, password: nil)
    do {
      let server = try await TestServer.on(engine) { configuration in
        configuration.mqttURL = broker.url(transport)
        configuration.mqttCAFile = broker.caFile
        configuration.adminEmail = adminEmail
        configuration.adminPassword = adminPassword
        // Long enough that a loaded machine (the whole suite on two cores) does not turn a slow acknowledgement into
        // TIMEOUT (a batch of 40 lamps did, once); tests about timeouts set their own.
        configuration.ackTimeoutMs = 10_000
        adjust(&configuration)
      }
      try await server.run(.live) { client in
        let port = try #require(client.port)
        let url = broker.url(.tcp)
        try await poll("server ready", timeout: .seconds(20)) {
          try await LampEnv.call(port: port, .get, "/api/v1/health/ready").status == 200
        }
        let token = try await LampEnv.login(port: port, email: adminEmail, password: adminPassword)
        try await body(LampEnv(port: port, broker: broker, adminToken: token, brokerURL: url))
      }
    } catch {
      await broker.stop()
      throw error
    }
    await broker.stop()
  }

  /// ``APIClient/call(_:_:as:body:idempotencyKey:headers:)`` on a fresh connection to `port`, with a bearer token
  /// when one is given and the body as text.
  static func call(
    port: Int, _ method: HTTPRequest.Method, _ path: String, json: String? = nil, token: String? = nil,
    idempotencyKey: String? = nil, headers extra: HTTPFields = [:]
  ) async throws -> Reply {
    try await APIClient.port(port).call(
      method, path, as: token.map(Credential.bearer) ?? .none, body: json.map(APIClient.Body.text),
      idempotencyKey: idempotencyKey, headers: extra)
  }

  /// The same as the admin unless another token is given.
  func call(
    _ method: HTTPRequest.Method, _ path: String, json: String? = nil, token: String? = nil,
    idempotencyKey: String? = nil, headers extra: HTTPFields = [:]
  ) async throws -> Reply {
    try await Self.call(
      port: port, method, path, json: json, token: token ?? adminToken, idempotencyKey: idempotencyKey, headers: extra)
  }

  static func login(port: Int, email: String, password: String) async throws -> String {
    let json = "{\"email\":\"\(email)\",\"password\":\"\(password)\"}"
    let reply = try await call(port: port, .post, "/api/v1/auth/login", json: json)
    guard reply.status == 200 else { throw HarnessError("login failed: \(reply.status) \(reply.body)") }
    for cookie in reply.headers[values: .setCookie] where cookie.hasPrefix("auth_token=") {
      let value = cookie.dropFirst("auth_token=".count).prefix { $0 != ";" }
      return String(value)
    }
    throw HarnessError("no auth_token cookie in the login answer")
  }

  // MARK: fixtures

  /// Registers a device as the admin.
  @discardableResult
  func createDevice(_ id: String, mqtt: String? = nil, channel: String? = nil) async throws -> Reply {
    var fields = ["\"deviceId\":\"\(id)\"", "\"name\":\"Lamp \(id)\""]
    if let mqtt { fields.append("\"mqttDeviceId\":\"\(mqtt)\"") }
    if let channel { fields.append("\"commandChannel\":\"\(channel)\"") }
    let reply = try await call(
      .post, "/api/v1/devices", json: "{" + fields.joined(separator: ",") + "}", idempotencyKey: "create-\(id)")
    guard reply.status == 201 else { throw HarnessError("device \(id) not created: \(reply.status) \(reply.body)") }
    return reply
  }

  /// Creates a member and returns (user id, access token).
  func createMember(_ email: String) async throws -> (id: Int, token: String) {
    let password = "member-password-1"
    let reply = try await call(
      .post, "/api/v1/users",
      json: "{\"name\":\"Member\",\"email\":\"\(email)\",\"password\":\"\(password)\",\"role\":\"member\"}")
    guard reply.status == 201, let id = reply.data?["id"]?.lampInt ?? reply.data?["user"]?["id"]?.lampInt else {
      throw HarnessError("member not created: \(reply.status) \(reply.body)")
    }
    return (id, try await Self.login(port: port, email: email, password: password))
  }

  /// Replaces a member's assignments: device id → device permission.
  func assign(_ userID: Int, _ grants: [String: String]) async throws {
    let entries = grants.map {
      "{\"deviceId\":\"\($0.key)\",\"assigned\":true,\"devicePermission\":\"\($0.value)\",\"schedulePermission\":\"none\"}"
    }
    let reply = try await call(
      .put, "/api/v1/users/\(userID)/assignments", json: "{\"assignments\":[\(entries.joined(separator: ","))]}")
    guard reply.status == 200 else { throw HarnessError("assignment failed: \(reply.status) \(reply.body)") }
  }

  /// Executes a command as `token` (the admin by default).
  func execute(
    _ deviceID: String, _ action: String, waitForAck: Bool = true, key: String = UUID().uuidString,
    requestID: String = UUID().uuidString, token: String? = nil
  ) async throws -> Reply {
    try await call(
      .post, "/api/v1/commands/execute",
      json:
        "{\"deviceId\":\"\(deviceID)\",\"action\":\"\(action)\",\"requestId\":\"\(requestID)\",\"waitForAck\":\(waitForAck)}",
      token: token, idempotencyKey: key)
  }

  /// Starts a fake Tasmota device on this environment's broker.
  func startLamp(_ id: String, relays: Int = 1) async throws -> FakeTasmota {
    let lamp = try FakeTasmota(id: id, relays: relays, url: brokerURL)
    try await lamp.start()
    return lamp
  }
}

extension JSONValue {
  var lampInt: Int? {
    switch self {
    case .int(let value): value
    case .double(let value): Int(exactly: value)
    default: nil
    }
  }

  var lampBool: Bool? {
    if case .bool(let value) = self { return value }
    return nil
  }

  var lampArray: [JSONValue]? {
    if case .array(let value) = self { return value }
    return nil
  }

  var lampIsNull: Bool { self == .null }
}
