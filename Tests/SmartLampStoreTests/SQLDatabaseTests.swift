import Foundation
import SmartLampStore
import TestSupport
import Testing

@Suite struct SQLDatabaseTests {
  struct Boom: Error {}

  @Test(arguments: StoreEngine.all) func aThrowingWriteRollsBack(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    await #expect(throws: Boom.self) {
      try await fixture.database.write { conn in
        try conn.execute(
          "INSERT INTO users (name, email, password_hash, created_at) VALUES ('a', 'a@b.co', 'h', 'x')")
        #expect(try conn.queryOne("SELECT COUNT(*) AS n FROM users")?.int("n") == 1)
        throw Boom()
      }
    }
    #expect(try await fixture.count("users") == 0)
  }

  @Test(arguments: StoreEngine.all) func aFailingStatementRollsBackEarlierOnes(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    await #expect(throws: SQLError.self) {
      try await fixture.database.write { conn in
        try conn.execute("INSERT INTO users (name, email, password_hash, created_at) VALUES ('a', 'a@b.co', 'h', 'x')")
        try conn.execute("INSERT INTO users (name, email, password_hash, created_at) VALUES ('b', 'a@b.co', 'h', 'x')")
      }
    }
    #expect(try await fixture.count("users") == 0)
  }

  @Test(arguments: StoreEngine.all) func constraintViolationsAreClassified(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let user = try await fixture.user()
    await #expect {
      try await fixture.database.write { conn in
        try conn.execute(
          "INSERT INTO user_devices (user_id, device_id, created_at) VALUES (?, 999, 'x')", [.int64(user.id)])
      }
    } throws: { error in
      if case SQLError.foreignKeyViolation = error { return true }
      return false
    }
    await #expect {
      try await fixture.database.write { conn in
        try conn.execute(
          "INSERT INTO users (name, email, password_hash, created_at) VALUES ('a', ?, 'h', 'x')", [.text(user.email)])
      }
    } throws: { error in
      if case SQLError.uniqueViolation = error { return true }
      return false
    }
    await #expect {
      try await fixture.database.write { conn in
        try conn.execute("INSERT INTO users (name, email, password_hash, created_at) VALUES ('a', 'z@b.co', NULL, 'x')")
      }
    } throws: { error in
      if case SQLError.constraintViolation = error { return true }
      return false
    }
    await #expect {
      try await fixture.database.read { conn in try conn.query("SELECT nope FROM users") }
    } throws: { error in
      if case SQLError.engine = error { return true }
      return false
    }
  }

  @Test(arguments: StoreEngine.all) func readsCannotWrite(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    await #expect(throws: SQLError.self) {
      try await fixture.database.read { conn in
        try conn.execute("INSERT INTO users (name, email, password_hash, created_at) VALUES ('a', 'a@b.co', 'h', 'x')")
      }
    }
  }

  @Test(arguments: StoreEngine.all) func valuesRoundTripIncludingUTF8AndEmoji(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let text = "Küche 💡 — ランプ \u{1F469}\u{200D}\u{1F467} ' \" \\ %"
    let blob = Data([0, 1, 2, 255])
    let row = try await fixture.database.write { conn in
      try conn.execute(
        conn.dialect == .sqlite
          ? "CREATE TABLE t (i INTEGER, d REAL, s TEXT, b BLOB, n TEXT, f INTEGER)"
          : "CREATE TABLE t (i BIGINT, d DOUBLE, s TEXT, b BLOB, n TEXT, f TINYINT(1))")
      let inserted = try conn.execute(
        "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)",
        [.int64(.max), .double(1.5), .text(text), .blob(blob), .null, .bool(true)])
      #expect(inserted.rowsAffected == 1)
      // SQLite reports the rowid; MariaDB only an AUTO_INCREMENT value, and `t` has none.
      #expect(inserted.lastInsertID == (conn.dialect == .sqlite ? 1 : 0))
      return try conn.queryOne("SELECT * FROM t")
    }
    let r = try #require(row)
    #expect(try r.int64("i") == .max)
    #expect(try r.double("d") == 1.5)
    #expect(try r.string("s") == text)
    #expect(try r.optionalData("b") == blob)
    #expect(try r.optionalString("n") == nil)
    #expect(try r.bool("f"))
    #expect(try r.int64("I") == .max, "column names are case-insensitive")
    #expect(throws: SQLError.columnMissing("zzz")) { try r.value("zzz") }
    #expect(throws: SQLError.unexpectedNull("n")) { try r.string("n") }
    #expect(throws: SQLError.typeMismatch("s", expected: "integer")) { try r.int64("s") }

    let user = try await fixture.store.users.create(NewUser(name: "Ibu 👩‍🍳", email: "ibu@example.com", passwordHash: "h"))
    #expect(try await fixture.store.users.byId(user.id)?.name == "Ibu 👩‍🍳")
  }

  @Test func rowConversions() throws {
    let row = SQLRow([
      ("a", .text("42")), ("b", .double(3)), ("c", .bool(false)), ("d", .text("true")), ("e", .int64(7)),
      ("f", .double(2.5)), ("g", .blob(Data("hi".utf8))),
    ])
    #expect(try row.int64("a") == 42)
    #expect(try row.int("b") == 3)
    #expect(try row.int64("c") == 0)
    #expect(try row.bool("d"))
    #expect(try row.string("e") == "7")
    #expect(try row.double("e") == 7)
    #expect(try row.string("g") == "hi")
    #expect(throws: SQLError.self) { try row.int64("f") }
    #expect(throws: SQLError.self) { try row.bool("a") }
    #expect(row.columnNames == ["a", "b", "c", "d", "e", "f", "g"])
  }

  @Test func dialectClauses() {
    let sqlite = SQLDialect.sqlite
    let maria = SQLDialect.mariadb
    #expect(sqlite.insertIgnore(into: "t", columns: ["a", "b"]) == "INSERT OR IGNORE INTO t (a, b) VALUES (?, ?)")
    #expect(maria.insertIgnore(into: "t", columns: ["a"]) == "INSERT IGNORE INTO t (a) VALUES (?)")
    #expect(
      sqlite.upsert(into: "t", columns: ["k", "v"], conflictColumns: ["k"], updateColumns: ["v"])
        == "INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v")
    #expect(
      maria.upsert(into: "t", columns: ["k", "v"], conflictColumns: ["k"], updateColumns: ["v"])
        == "INSERT INTO t (k, v) VALUES (?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v)")
    #expect(
      sqlite.upsert(into: "t", columns: ["k"], conflictColumns: ["k"], updateColumns: [])
        == "INSERT INTO t (k) VALUES (?) ON CONFLICT(k) DO NOTHING")
    #expect(sqlite.limit(5) == "LIMIT 5")
    #expect(sqlite.limit(-1) == "LIMIT 0")
    #expect(sqlite.lockForUpdate == "")
    #expect(maria.lockForUpdate == " FOR UPDATE")
    #expect(sqlite.placeholders(0) == "")
  }

  @Test(arguments: StoreEngine.all) func dialectUpsertAndInsertIgnoreRun(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let values = try await fixture.database.write { conn in
      try conn.execute("CREATE TABLE kv (k VARCHAR(64) PRIMARY KEY, v INTEGER)")
      let d = conn.dialect
      #expect(try conn.execute(d.insertIgnore(into: "kv", columns: ["k", "v"]), ["a", 1]).rowsAffected == 1)
      #expect(try conn.execute(d.insertIgnore(into: "kv", columns: ["k", "v"]), ["a", 2]).rowsAffected == 0)
      try conn.execute(
        d.upsert(into: "kv", columns: ["k", "v"], conflictColumns: ["k"], updateColumns: ["v"]), ["a", 3])
      try conn.execute(
        d.upsert(into: "kv", columns: ["k", "v"], conflictColumns: ["k"], updateColumns: ["v"]), ["b", 4])
      return try conn.query("SELECT k, v FROM kv ORDER BY k \(d.limit(10))").map { try $0.int("v") }
    }
    #expect(values == [3, 4])
  }

  @Test func closedDatabaseRefusesWork() async throws {
    let dir = TemporaryDirectory()
    let db = try SQLiteDatabase(path: dir.file("c.sqlite"))
    try await db.close()
    await #expect(throws: (any Error).self) { try await db.read { conn in try conn.query("SELECT 1") } }
  }

  @Test func unopenablePathIsAConnectionError() {
    #expect(throws: SQLError.self) { try SQLiteDatabase(path: "/proc/definitely/not/here.sqlite") }
  }

  @Test func timestamps() {
    #expect(Timestamp.iso(0) == "1970-01-01T00:00:00.000Z")
    #expect(Timestamp.iso(1_763_800_000_123) == "2025-11-22T08:26:40.123Z")
    #expect(Timestamp.millis(fromISO: "2025-11-22T08:26:40.123Z") == 1_763_800_000_123)
    #expect(Timestamp.millis(fromISO: "2025-11-22T08:26:40Z") == 1_763_800_000_000)
    #expect(Timestamp.millis(fromISO: "yesterday") == nil)
    #expect(Timestamp.nowMillis() > 1_700_000_000_000)
  }
}
