import Foundation
import SmartLampCore
import SmartLampStore
import TestSupport

/// A migrated store on a fresh SQLite file, or on a fresh database of the test MariaDB server; it lives (and its
/// connections stay open) as long as the fixture.
struct StoreFixture {
  let directory = TemporaryDirectory(prefix: "smartlamp-store")
  let engine: StoreEngine
  let database: any SQLDatabase
  let store: Store
  private let closer: DatabaseCloser

  init(_ engine: StoreEngine = .sqlite) async throws {
    self.engine = engine
    database = try await openTestDatabase(engine, sqlitePath: directory.file("data/smartlamp.sqlite"))
    closer = DatabaseCloser(database)
    try await Migrator(database: database).migrate()
    store = Store(database: database)
  }

  /// The SQLite driver itself, for tests about SQLite's file and locking.
  var sqlite: SQLiteDatabase { database as! SQLiteDatabase }

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

/// An unmigrated database of `engine`: a SQLite file at `sqlitePath`, or a new database on the shared test MariaDB.
func openTestDatabase(_ engine: StoreEngine, sqlitePath: String) async throws -> any SQLDatabase {
  switch engine {
  case .sqlite:
    return try SQLiteDatabase(path: sqlitePath)
  case .mariadb:
    let server = try await MariaDBServer.shared()
    let created = try await server.createDatabase()
    return try await MariaDBDatabase.open(
      MariaDBConfiguration(
        endpoint: .tcp(host: "127.0.0.1", port: server.port), user: server.user, password: server.password,
        database: created.name, poolSize: 4))
  }
}

/// Closes a MariaDB driver (its thread pool must be shut down) once the last copy of its fixture is gone.
final class DatabaseCloser: Sendable {
  let database: any SQLDatabase
  init(_ database: any SQLDatabase) { self.database = database }
  deinit {
    guard database.dialect == .mariadb else { return }
    let database = database
    Task { try? await database.close() }
  }
}
