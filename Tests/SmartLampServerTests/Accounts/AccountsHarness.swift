import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import ServerTestSupport
import SmartLampStore
import TestSupport

@testable import SmartLampServer

/// Shared pieces of the accounts tests: a server with a known first admin and JWT secret, requests with cookies or
/// bearer tokens, and direct access to the same SQLite file for seeding devices and inspecting rows.
enum Accounts {
  static let adminEmail = "admin@example.com"
  static let adminPassword = "admin-password-1"
  static let jwtSecret = "test-jwt-secret-of-at-least-32-bytes"

  static func server(_ adjust: (inout Configuration) -> Void = { _ in }) -> TestServer {
    TestServer { config in
      config.adminEmail = adminEmail
      config.adminPassword = adminPassword
      config.jwtSecret = jwtSecret
      adjust(&config)
    }
  }

  /// ``server(_:)`` on `engine`.
  static func server(on engine: StoreEngine, _ adjust: (inout Configuration) -> Void = { _ in }) async throws
    -> TestServer
  {
    try await TestServer.on(engine) { config in
      config.adminEmail = adminEmail
      config.adminPassword = adminPassword
      config.jwtSecret = jwtSecret
      adjust(&config)
    }
  }
}

extension TestClientProtocol {
  /// ``APIClient/call(_:_:as:body:idempotencyKey:headers:)`` with a JSON value for the body.
  func call(
    _ method: HTTPRequest.Method, _ uri: String, as credential: Credential = .none, json: JSONValue? = nil,
    headers extra: HTTPFields = [:]
  ) async throws -> Reply {
    try await APIClient(self).call(method, uri, as: credential, body: json.map(APIClient.Body.json), headers: extra)
  }

  func login(_ email: String, _ password: String, headers: HTTPFields = [:]) async throws -> Reply {
    try await call(
      .post, "/api/v1/auth/login", json: ["email": .string(email), "password": .string(password)],
      headers: headers)
  }

  /// Logs in and fails the test when that does not work.
  func session(_ email: String = Accounts.adminEmail, _ password: String = Accounts.adminPassword) async throws
    -> Session
  {
    let reply = try await login(email, password)
    guard reply.status == .ok, let session = reply.session else {
      throw HarnessError("login of \(email) failed: \(reply.status) \(reply.code ?? "")")
    }
    return session
  }

  /// Creates a member (or admin) through the API and returns its id.
  func createUser(
    _ admin: Session, email: String, password: String = "member-password-1", name: String = "Member",
    role: String = "member"
  ) async throws -> Int64 {
    let reply = try await call(
      .post, "/api/v1/users", as: .cookie(admin),
      json: ["email": .string(email), "password": .string(password), "name": .string(name), "role": .string(role)])
    guard reply.status == .created, case .int(let id)? = reply.data?["id"] else {
      throw HarnessError("creating \(email) failed: \(reply.status) \(reply.code ?? "")")
    }
    return Int64(id)
  }

  func assign(_ admin: Session, userId: Int64, _ entries: [(String, String, String)]) async throws {
    let list: [JSONValue] = entries.map {
      ["deviceId": .string($0.0), "devicePermission": .string($0.1), "schedulePermission": .string($0.2)]
    }
    let reply = try await call(
      .put, "/api/v1/users/\(userId)/assignments", as: .cookie(admin), json: ["assignments": .array(list)])
    guard reply.status == .ok else { throw HarnessError("assignment failed: \(reply.status) \(reply.code ?? "")") }
  }

  /// Creates an API key through the API and returns the secret.
  func createKey(_ admin: Session, scopes: [String], owner: Int64? = nil, name: String = "integration")
    async throws -> String
  {
    var body: [String: JSONValue] = ["name": .string(name), "scopes": .array(scopes.map(JSONValue.string))]
    if let owner { body["ownerUserId"] = .int(Int(owner)) }
    let reply = try await call(.post, "/api/v1/integrations/clients", as: .cookie(admin), json: .object(body))
    guard reply.status == .created, let key = reply.data?["apiKey"]?.string else {
      throw HarnessError("creating a key failed: \(reply.status) \(reply.code ?? "")")
    }
    return key
  }
}

extension TestServer {
  var databasePath: String { directory.file("smartlamp.sqlite") }

  /// Runs `body` on a second connection to the server's database (SQLite's WAL lets both work at once; MariaDB
  /// is a server anyway).
  func withDatabase<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
    // Migrating first lets tests seed rows before the server has ever started on this database.
    let logger = Logger.quiet()
    let database = try await StoreBootstrap.open(configuration: configuration, logger: logger)
    do {
      let result = try await body(database)
      try await database.close()
      return result
    } catch {
      try? await database.close()
      throw error
    }
  }

  /// Inserts devices with these public ids (in order, so internal ids ascend) and returns nothing.
  func seedDevices(_ ids: [String]) async throws {
    try await withDatabase { db in
      try await db.write { conn in
        for id in ids {
          try conn.execute(
            "INSERT INTO devices (device_id, mqtt_device_id, name, location, command_channel, created_at) VALUES (?, ?, ?, ?, 'POWER', ?)",
            [.text(id), .text(id), .text("Lamp \(id)"), .text("Room"), .text("2026-01-01T00:00:00.000Z")])
        }
      }
    }
  }

  func scalar(_ sql: String, _ binds: [SQLValue] = []) async throws -> SQLValue? {
    try await withDatabase { db in
      try await db.read { conn in try conn.queryOne(sql, binds).flatMap { row in try row.value(row.columnNames[0]) } }
    }
  }

  func execute(_ sql: String, _ binds: [SQLValue] = []) async throws {
    try await withDatabase { db in _ = try await db.write { conn in try conn.execute(sql, binds) } }
  }
}

extension JSONValue {
  var int: Int? {
    if case .int(let value) = self { return value }
    return nil
  }
  var bool: Bool? {
    if case .bool(let value) = self { return value }
    return nil
  }
  var array: [JSONValue]? {
    if case .array(let value) = self { return value }
    return nil
  }
}
