import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import SmartLampCore
import SmartLampStore
import Testing

@testable import SmartLampServer

/// Every accounts route × every kind of caller, from one table. A second test checks that the table names every
/// accounts route the router serves, so a new route cannot skip the matrix.
@Suite struct PermissionMatrixTests {
  /// Who calls.
  enum Caller: CustomStringConvertible, Sendable {
    case anonymous
    case admin
    /// A member holding this grant on the one device (nil: no assignment).
    case member(DeviceGrant?)
    /// An API key with these scopes, owned by an admin or by a member.
    case key([String], ownerIsAdmin: Bool)

    var description: String {
      switch self {
      case .anonymous: "anonymous"
      case .admin: "admin"
      case .member(let grant?): "member(\(grant.devicePermission.rawValue)/\(grant.schedulePermission.rawValue))"
      case .member(nil): "member(unassigned)"
      case .key(let scopes, let ownerIsAdmin):
        "key(\(scopes.joined(separator: ",")), owner \(ownerIsAdmin ? "admin" : "member"))"
      }
    }

    var isUser: Bool {
      switch self {
      case .admin, .member: true
      default: false
      }
    }

    /// A key holding `scope` (or `*`) whose owner is an admin.
    func isAdminKey(holding scope: String) -> Bool {
      if case .key(let scopes, true) = self { return scopes.contains(scope) || scopes.contains("*") }
      return false
    }

    func keyHolds(_ scope: String) -> Bool {
      if case .key(let scopes, _) = self { return scopes.contains(scope) || scopes.contains("*") }
      return false
    }

    static let all: [Caller] =
      [.anonymous, .admin, .member(nil)]
      + DevicePermission.allCases.flatMap { device in
        SchedulePermission.allCases.compactMap { schedule in
          DeviceGrant.isValidCombination(device, schedule)
            ? Caller.member(DeviceGrant(devicePermission: device, schedulePermission: schedule)) : nil
        }
      }
      + ["read", "command", "schedule", "admin", "*"].map { Caller.key([$0], ownerIsAdmin: true) }
      + [.key(["admin", "read"], ownerIsAdmin: false)]
  }

  /// The ids a route's URI and body refer to.
  struct Fixture: Sendable {
    let targetId: Int64
    let victimId: Int64
    let clientId: Int64
  }

  struct Route: Sendable {
    let method: HTTPRequest.Method
    /// As the router describes it.
    let template: String
    let uri: @Sendable (Fixture) -> String
    let body: @Sendable (Int) -> JSONValue?
    let expected: @Sendable (Caller) -> Int
  }

  /// Users API: user admins, or keys with the `admin` scope whose owner is an admin (``Authorization``).
  static func usersAPI(_ success: Int) -> @Sendable (Caller) -> Int {
    { caller in
      switch caller {
      case .anonymous: 401
      case .admin: success
      case .member: 403
      case .key: caller.isAdminKey(holding: "admin") ? success : 403
      }
    }
  }

  /// Routes only a logged-in user may use (profile).
  static func usersOnly(_ caller: Caller) -> Int {
    switch caller {
    case .anonymous: 401
    case .admin, .member: 200
    case .key: 403
    }
  }

  /// API key management: user admins only; keys never mint keys.
  static func keyAdmins(_ success: Int) -> @Sendable (Caller) -> Int {
    { caller in
      switch caller {
      case .anonymous: 401
      case .admin: success
      case .member, .key: 403
      }
    }
  }

  static let table: [Route] = [
    Route(
      method: .post, template: "/api/v1/auth/login", uri: { _ in "/api/v1/auth/login" },
      body: { _ in ["email": "nobody@example.com", "password": "wrong-password"] }, expected: { _ in 401 }),
    Route(
      method: .post, template: "/api/v1/auth/refresh", uri: { _ in "/api/v1/auth/refresh" }, body: { _ in nil },
      expected: { $0.isUser ? 200 : 401 }),
    Route(
      method: .get, template: "/api/v1/bootstrap", uri: { _ in "/api/v1/bootstrap" }, body: { _ in nil },
      expected: { caller in
        switch caller {
        case .anonymous: 401
        case .admin, .member: 200
        case .key: caller.keyHolds("read") ? 200 : 403
        }
      }),
    Route(
      method: .get, template: "/api/v1/profile", uri: { _ in "/api/v1/profile" }, body: { _ in nil },
      expected: usersOnly),
    Route(
      method: .patch, template: "/api/v1/profile", uri: { _ in "/api/v1/profile" },
      body: { _ in ["name": "Matrix Name"] }, expected: usersOnly),
    Route(
      method: .get, template: "/api/v1/users", uri: { _ in "/api/v1/users" }, body: { _ in nil },
      expected: usersAPI(200)),
    Route(
      method: .post, template: "/api/v1/users", uri: { _ in "/api/v1/users" },
      body: { n in ["name": "New", "email": .string("new\(n)@example.com"), "password": "member-password-1"] },
      expected: usersAPI(201)),
    Route(
      method: .patch, template: "/api/v1/users/{userId}", uri: { "/api/v1/users/\($0.targetId)" },
      body: { _ in ["name": "Patched"] }, expected: usersAPI(200)),
    Route(
      method: .delete, template: "/api/v1/users/{userId}", uri: { "/api/v1/users/\($0.victimId)" },
      body: { _ in nil }, expected: usersAPI(200)),
    Route(
      method: .post, template: "/api/v1/users/{userId}/restore", uri: { "/api/v1/users/\($0.victimId)/restore" },
      body: { _ in nil }, expected: usersAPI(200)),
    Route(
      method: .get, template: "/api/v1/users/{userId}/assignments",
      uri: { "/api/v1/users/\($0.targetId)/assignments" }, body: { _ in nil }, expected: usersAPI(200)),
    Route(
      method: .put, template: "/api/v1/users/{userId}/assignments",
      uri: { "/api/v1/users/\($0.victimId)/assignments" }, body: { _ in ["assignments": []] },
      expected: usersAPI(200)),
    Route(
      method: .post, template: "/api/v1/integrations/clients", uri: { _ in "/api/v1/integrations/clients" },
      body: { _ in ["name": "made by matrix", "scopes": ["read"]] }, expected: keyAdmins(201)),
    Route(
      method: .get, template: "/api/v1/integrations/clients", uri: { _ in "/api/v1/integrations/clients" },
      body: { _ in nil }, expected: keyAdmins(200)),
    Route(
      method: .delete, template: "/api/v1/integrations/clients/{clientId}",
      uri: { "/api/v1/integrations/clients/\($0.clientId)" }, body: { _ in nil }, expected: keyAdmins(200)),
    // Last: it ends the caller's session.
    Route(
      method: .post, template: "/api/v1/auth/logout", uri: { _ in "/api/v1/auth/logout" }, body: { _ in nil },
      expected: { _ in 200 }),
  ]

  static let accountPrefixes = [
    "/api/v1/auth", "/api/v1/bootstrap", "/api/v1/profile", "/api/v1/users", "/api/v1/integrations/clients",
  ]

  @Test func everyRouteAnswersEveryCallerAsTheTableSays() async throws {
    let server = Accounts.server { $0.loginRateLimitMax = 100_000 }
    try await server.seedDevices(["matrix-lamp"])
    try await server.run { client in
      let admin = try await client.session()
      let target = try await client.createUser(admin, email: "target@example.com")
      let victim = try await client.createUser(admin, email: "victim@example.com")
      let memberOwner = try await client.createUser(admin, email: "key-owner@example.com")
      var credentials: [(Caller, Credential)] = []
      for (index, caller) in Caller.all.enumerated() {
        switch caller {
        case .anonymous: credentials.append((caller, .none))
        case .admin: credentials.append((caller, .cookie(try await client.session())))
        case .member(let grant):
          let email = "member\(index)@example.com"
          let id = try await client.createUser(admin, email: email)
          if let grant {
            try await client.assign(
              admin, userId: id,
              [("matrix-lamp", grant.devicePermission.rawValue, grant.schedulePermission.rawValue)])
          }
          credentials.append((caller, .cookie(try await client.session(email, "member-password-1"))))
        case .key(let scopes, let ownerIsAdmin):
          let key = try await client.createKey(admin, scopes: scopes, owner: ownerIsAdmin ? nil : memberOwner)
          credentials.append((caller, .bearer(key)))
        }
      }
      let sacrificial = try await client.createKey(admin, scopes: ["read"], name: "to be revoked")
      _ = sacrificial
      let clients = try await client.call(.get, "/api/v1/integrations/clients", as: .cookie(admin))
      let clientId = try #require(clients.data?.array?.last?["id"]?.int)
      let fixture = Fixture(targetId: target, victimId: victim, clientId: Int64(clientId))

      var counter = 0
      for (caller, credential) in credentials {
        for route in Self.table {
          counter += 1
          let reply = try await client.call(
            route.method, route.uri(fixture), as: credential, json: route.body(counter))
          let expected = route.expected(caller)
          #expect(
            Int(reply.status.code) == expected,
            "\(route.method) \(route.template) as \(caller): \(reply.status.code) \(reply.code ?? "")")
          if reply.status.code >= 400 {
            #expect(reply.code != nil, "\(route.method) \(route.template) as \(caller) answered an envelope")
          }
        }
      }
    }
  }

  @Test func theTableCoversEveryAccountsRoute() async throws {
    let server = Accounts.server()
    var logger = Logger(label: "test")
    logger.logLevel = .error
    let configuration = server.configuration
    let database = try await StoreBootstrap.open(configuration: configuration, logger: logger)
    do {
      let services = AppServices(
        configuration: configuration, database: database, logger: logger,
        accounts: try await AccountsServices(configuration: configuration, database: database, logger: logger),
        lamps: try await LampServices(configuration: configuration, database: database, logger: logger))
      let served = Set(
        buildRouter(services).routes
          .filter { route in
            route.method != .head && Self.accountPrefixes.contains { route.path.description.hasPrefix($0) }
          }
          .map { "\($0.method.rawValue) \($0.path.description)" })
      let listed = Set(Self.table.map { "\($0.method.rawValue) \($0.template)" })
      #expect(served == listed)
      #expect(served.count >= 16)
    }
    try await database.close()
  }
}
