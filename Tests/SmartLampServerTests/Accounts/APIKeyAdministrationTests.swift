import Foundation
import SmartLampCore
import SmartLampStore
import Testing

@testable import SmartLampServer

/// `APIKeys`, the API behind `smartlamp apikey create|list|revoke`, against a real SQLite file.
@Suite struct APIKeyAdministrationTests {
  @Test func createListRevokeThroughTheSharedAPI() async throws {
    let server = Accounts.server()
    // Starting once creates the first admin from the configuration.
    _ = try await server.run { _ in true }
    try await server.withDatabase { db in
      let owner = try #require(try await APIKeys.userId(email: "ADMIN@example.com", database: db))
      let (client, key) = try await APIKeys.create(
        database: db, name: "cli", scopes: APIScopes([.read, .command]), ownerUserId: owner, expiresAt: nil,
        createdBy: nil)
      #expect(key.hasPrefix("slk_") && key.count == 47)
      #expect(client.scopes == ["read", "command"] && client.isActive && client.keyPrefix == String(key.prefix(10)))
      #expect(try await APIKeys.list(database: db).map(\.id) == [client.id])
      let revoked = try await APIKeys.revoke(database: db, id: client.id)
      #expect(!revoked.isActive && revoked.revokedAt != nil)
      await #expect(throws: APIKeys.Failure.notFound) { try await APIKeys.revoke(database: db, id: 999) }
      await #expect(throws: APIKeys.Failure.ownerNotFound) {
        try await APIKeys.create(
          database: db, name: "x", scopes: .all, ownerUserId: 999, expiresAt: nil, createdBy: nil)
      }
      #expect(APIKeys.generate() != APIKeys.generate())
    }
  }
}
