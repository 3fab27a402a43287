import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ServerTestSupport
import Testing

@testable import SmartLampServer

/// The accounts side of command access (authz.test.ts 2, rbac-routes.test.ts 2, §18 read-only key): the principal
/// this part resolves is refused before anything is published. No broker is needed: refusals come first.
@Suite struct CommandAccessTests {
  func execute(_ client: some TestClientProtocol, as credential: Credential) async throws -> Reply {
    try await client.call(
      .post, "/api/v1/commands/execute", as: credential,
      json: ["deviceId": "lamp-a", "action": "ON", "requestId": .string(UUID().uuidString)],
      headers: [.init("Idempotency-Key")!: UUID().uuidString])
  }

  @Test func readOnlyKeysUnassignedAndMonitoringMembersCannotExecute() async throws {
    let server = Accounts.server()
    try await server.seedDevices(["lamp-a"])
    try await server.run { client in
      let admin = try await client.session()
      let readKey = try await client.createKey(admin, scopes: ["read"])
      let byKey = try await execute(client, as: .bearer(readKey))
      #expect(byKey.status == .forbidden && byKey.code == "FORBIDDEN_SCOPE")
      #expect(byKey.envelope?.error?.details?["scope"]?.string == "command")

      let stranger = try await client.createUser(admin, email: "stranger@example.com")
      _ = stranger
      let strangerSession = try await client.session("stranger@example.com", "member-password-1")
      let unassigned = try await execute(client, as: .cookie(strangerSession))
      #expect(unassigned.status == .forbidden && unassigned.code == "FORBIDDEN_DEVICE_ACCESS")

      let watcher = try await client.createUser(admin, email: "watcher@example.com")
      try await client.assign(admin, userId: watcher, [("lamp-a", "monitoring", "none")])
      let watcherSession = try await client.session("watcher@example.com", "member-password-1")
      let monitoring = try await execute(client, as: .cookie(watcherSession))
      #expect(monitoring.status == .forbidden && monitoring.code == "FORBIDDEN_DEVICE_ACCESS")

      let anonymous = try await execute(client, as: .none)
      #expect(anonymous.status == .unauthorized && anonymous.code == "NOT_AUTHENTICATED")
    }
  }
}
