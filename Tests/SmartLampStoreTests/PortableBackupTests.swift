import Foundation
import SmartLampCore
import TestSupport
import Testing

@testable import SmartLampStore

/// The MariaDB backup is one point in time while a server keeps writing: every table is read in one consistent
/// snapshot, so rows written together are in the backup together or not at all.
@Suite(.enabled(if: MariaDBServer.isEnabled)) struct PortableBackupTests {
  @Test func aBackupTakenUnderWritesIsOneConsistentSnapshot() async throws {
    let fixture = try await StoreFixture(.mariadb)
    let database = fixture.database
    // A long command log between `users` (copied first) and `server_state` (copied last) keeps the copy busy
    // while the writer below commits: read table by table, the two would disagree.
    try await database.write { conn in
      try conn.execute(
        """
        INSERT INTO command_logs (request_id, device_public_id, channel, action, origin, issued_at, expires_at, result,
          ack_status, created_at)
        SELECT CONCAT('r-', seq), 'lamp', 'POWER', 'ON', 'user', seq, seq + 3000, 'PUBLISHED', 'ACKED',
          '2026-01-01T00:00:00.000Z' FROM seq_1_to_30000
        """)
    }
    // Each write adds a person and a server value in ONE transaction.
    let stop = Locked(false)
    let writer = Task {
      var written = 0
      while !stop.withLock({ $0 }) {
        written += 1
        let n = written
        try await database.write { conn in
          try conn.execute(
            "INSERT INTO users (name, email, password_hash, created_at) VALUES ('W', ?, 'h', 'x')",
            [.text("w\(n)@example.com")])
          try conn.execute(
            "INSERT INTO server_state (name, value, updated_at) VALUES (?, 'x', 0)", [.text("w\(n)")])
        }
      }
      return written
    }
    try await poll("the writer is under way") {
      try await database.read { try $0.queryOne("SELECT COUNT(*) AS n FROM users")?.int("n") ?? 0 } >= 5
    }
    let dir = TemporaryDirectory(prefix: "smartlamp-backup")
    let summary = try await PortableBackup.write(from: database, to: dir.file("snapshot.sqlite"))
    stop.withLock { $0 = true }
    let written = try await writer.value

    let counts = Dictionary(uniqueKeysWithValues: summary.rows.map { ($0.table, $0.count) })
    #expect(counts["command_logs"] == 30_000)
    #expect(counts["users"] == counts["server_state"], "\(summary)")
    #expect((counts["users"] ?? 0) < written, "the writer went on during and after the copy: \(summary), \(written)")
    let backup = try SQLiteDatabase(path: dir.file("snapshot.sqlite"))
    let (users, values, version) = try await backup.read { conn in
      (
        try conn.queryOne("SELECT COUNT(*) AS n FROM users")?.int("n"),
        try conn.queryOne("SELECT COUNT(*) AS n FROM server_state")?.int("n"),
        try conn.queryOne("SELECT MAX(version) AS v FROM schema_migrations")?.string("v")
      )
    }
    try await backup.close()
    #expect(users == counts["users"] && values == counts["server_state"])
    #expect(version == Migration.all(for: .sqlite)?.last?.version)
  }
}
