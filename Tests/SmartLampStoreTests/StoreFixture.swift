import Foundation
import SmartLampCore
import SmartLampStore
import TestSupport

/// A migrated store on a fresh SQLite file; the folder lives as long as the fixture.
struct StoreFixture {
  let directory = TemporaryDirectory(prefix: "smartlamp-store")
  let database: SQLiteDatabase
  let store: Store

  init() async throws {
    database = try SQLiteDatabase(path: directory.file("data/smartlamp.sqlite"))
    try await Migrator(database: database).migrate()
    store = Store(database: database)
  }

  func user(_ email: String = "member@example.com", role: Role = .member, name: String = "Member") async throws
    -> UserRecord
  {
    try await store.users.create(NewUser(name: name, email: email, passwordHash: "hash", role: role))
  }

  func device(_ id: String = "lamp-1", channel: CommandChannel = .power) async throws -> DeviceRecord {
    try await store.devices.create(NewDevice(deviceId: try DeviceID(id), name: "Lamp \(id)", commandChannel: channel))
  }

  func count(_ table: String) async throws -> Int {
    try await database.read { conn in try conn.queryOne("SELECT COUNT(*) AS n FROM \(table)")?.int("n") ?? -1 }
  }
}
