import HTTPTypes
import HummingbirdTesting
import ServerTestSupport
import SmartLampCore
import TestSupport
import Testing

@testable import SmartLampServer

extension PermissionMatrixTests {
  /// The accounts the matrix needs, made through the API as the first admin: users the routes act on, an API key
  /// to revoke, and one set of credentials per caller.
  struct MatrixSetup: Sendable {
    let client: any TestClientProtocol
    let admin: Session
    let targetId: Int64
    let victimId: Int64
    let clientId: Int64
    /// The admin's schedules on the matrix lamp: the shared one first, then one per caller.
    let scheduleIds: [Int64]

    static func make(_ client: any TestClientProtocol) async throws -> MatrixSetup {
      let admin = try await client.session()
      let target = try await client.createUser(admin, email: "target@example.com")
      let victim = try await client.createUser(admin, email: "victim@example.com")
      _ = try await client.createKey(admin, scopes: ["read"], name: "to be revoked")
      let setup = MatrixSetup(
        client: client, admin: admin, targetId: target, victimId: victim, clientId: 0, scheduleIds: [])
      var scheduleIds: [Int64] = []
      for index in 0...Caller.all.count {
        scheduleIds.append(try await setup.schedule(index))
      }
      return MatrixSetup(
        client: client, admin: admin, targetId: target, victimId: victim,
        clientId: try await setup.clientId(named: "to be revoked"), scheduleIds: scheduleIds)
    }

    /// A yearly schedule on the matrix lamp, so it never fires while the matrix runs.
    func schedule(_ index: Int) async throws -> Int64 {
      var headers = HTTPFields()
      headers[.idempotencyKey] = "matrix-schedule-\(index)"
      let reply = try await client.call(
        .post, "/api/v1/schedules", as: .cookie(admin), json: scheduleBody, headers: headers)
      return Int64(try #require(reply.data?["id"]?.int, "schedule: \(String(decoding: reply.raw, as: UTF8.self))"))
    }

    func fixture(callerIndex: Int, counter: Int) -> Fixture {
      Fixture(
        targetId: targetId, victimId: victimId, clientId: clientId, scheduleId: scheduleIds[0],
        doomedScheduleId: scheduleIds[callerIndex + 1], callerIndex: callerIndex, counter: counter)
    }

    func clientId(named name: String) async throws -> Int64 {
      let reply = try await client.call(.get, "/api/v1/integrations/clients", as: .cookie(admin))
      let entry = reply.data?.array?.first { $0["name"]?.string == name }
      return Int64(
        try #require(entry?["id"]?.int, "API client \(name) in \(String(decoding: reply.raw, as: UTF8.self))"))
    }

    /// A member with this grant on the matrix lamp (none when nil), by id.
    func member(_ email: String, grant: DeviceGrant?) async throws -> Int64 {
      let id = try await client.createUser(admin, email: email)
      if let grant {
        try await client.assign(
          admin, userId: id,
          [(matrixLamp, grant.devicePermission.rawValue, grant.schedulePermission.rawValue)])
      }
      return id
    }

    func expect(_ method: HTTPRequest.Method, _ uri: String, json: JSONValue? = nil) async throws {
      let reply = try await client.call(method, uri, as: .cookie(admin), json: json)
      guard reply.status == .ok else { throw HarnessError("\(method) \(uri): \(reply.status) \(reply.code ?? "")") }
    }

    func credential(for caller: Caller, index: Int) async throws -> Credential {
      let email = "caller\(index)@example.com"
      let manage = DeviceGrant.full
      switch caller {
      case .anonymous: return .none
      case .admin:
        // An admin of its own: its "sign out of my other sessions" must not end the session this setup runs on.
        _ = try await client.createUser(admin, email: email, role: "admin")
        return .cookie(try await client.session(email, "member-password-1"))
      case .member(let grant):
        _ = try await member(email, grant: grant)
        return .cookie(try await client.session(email, "member-password-1"))
      case .archivedMember, .inactiveMember:
        let id = try await member(email, grant: manage)
        let session = try await client.session(email, "member-password-1")
        if case .archivedMember = caller {
          try await expect(.delete, "/api/v1/users/\(id)")
        } else {
          try await expect(.patch, "/api/v1/users/\(id)", json: ["isActive": false])
        }
        return .cookie(session)
      case .key(let scopes, .admin):
        return .bearer(try await client.createKey(admin, scopes: scopes))
      case .key(let scopes, .member(let grant)):
        let owner = try await member(email, grant: grant)
        return .bearer(try await client.createKey(admin, scopes: scopes, owner: owner))
      case .key(let scopes, .archived):
        let owner = try await member(email, grant: manage)
        let key = try await client.createKey(admin, scopes: scopes, owner: owner)
        try await expect(.delete, "/api/v1/users/\(owner)")
        return .bearer(key)
      case .revokedKey:
        let key = try await client.createKey(admin, scopes: ["*"], name: "revoked \(index)")
        try await expect(.delete, "/api/v1/integrations/clients/\(try await clientId(named: "revoked \(index)"))")
        return .bearer(key)
      }
    }
  }
}

extension Credential {
  /// The request headers that carry this credential (as `call(_:_:as:)` sends them).
  var headers: HTTPFields {
    var headers = HTTPFields()
    switch self {
    case .none: break
    case .cookie(let session):
      headers[.cookie] = "auth_token=\(session.accessToken); refresh_token=\(session.refreshToken)"
    case .bearer(let token): headers[.authorization] = "Bearer \(token)"
    case .refresh(let token): headers[.cookie] = "refresh_token=\(token)"
    }
    return headers
  }
}

extension HTTPFields {
  func merging(_ other: HTTPFields) -> HTTPFields {
    var result = self
    result.append(contentsOf: other)
    return result
  }
}
