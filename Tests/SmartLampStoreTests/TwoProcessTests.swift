import Foundation
import SmartLampCore
import TestSupport
import Testing

@testable import SmartLampStore

/// Two independent pools on one file behave like the CLI next to a running server: each has its own writer
/// connection, so only SQLite's locking (BEGIN IMMEDIATE + busy timeout) keeps the read-then-write atomic.
@Suite struct TwoProcessTests {
  @Test func rateLimitHitIsAtomicAcrossPools() async throws {
    let fixture = try await StoreFixture()
    let second = try SQLiteDatabase(path: fixture.sqlite.path)
    let repos = [fixture.store.rateLimits, RateLimitRepository(database: second)]
    let limit = FixedWindowLimit(limit: 25, windowMs: 600_000)
    let now = Timestamp.nowMillis()
    let allowed = try await withThrowingTaskGroup(of: Bool.self) { group in
      for i in 0..<80 {
        let repo = repos[i % 2]
        group.addTask { try await repo.hit("shared", limit: limit, now: now).allowed }
      }
      return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
    }
    #expect(allowed == 25)
    #expect(try await fixture.store.rateLimits.window("shared")?.count == 25)
    try await second.close()
  }

  @Test func idempotencyClaimIsAtomicAcrossPools() async throws {
    let fixture = try await StoreFixture()
    let second = try SQLiteDatabase(path: fixture.sqlite.path)
    let repos = [fixture.store.idempotency, IdempotencyRepository(database: second)]
    let claim = IdempotencyClaim(principal: "user:1", key: "k", method: "POST", path: "/p", requestHash: "h")
    let winners = try await withThrowingTaskGroup(of: Int.self) { group in
      for i in 0..<40 {
        let repo = repos[i % 2]
        group.addTask {
          if case .claimed = try await repo.claim(claim) { return 1 }
          return 0
        }
      }
      return try await group.reduce(0, +)
    }
    #expect(winners == 1)
    try await second.close()
  }

  @Test func migratingTwiceFromTwoPoolsAppliesOnce() async throws {
    let fixture = try await StoreFixture()
    let second = try SQLiteDatabase(path: fixture.sqlite.path)
    #expect(try await Migrator(database: second).migrate().isEmpty)
    #expect(try await Migrator(database: second).appliedVersions() == Migration.all(for: .sqlite)?.map(\.version))
    try await second.close()
  }
}

/// Latency-critical writes (``SQLWritePriority``) run on the caller's thread only when that costs no waiting.
@Suite struct InlineWriteTests {
  @Test func onlyLatencyCriticalWritesRunInline() async throws {
    let fixture = try await StoreFixture()
    let limit = FixedWindowLimit(limit: 5, windowMs: 60_000)
    _ = try await fixture.store.rateLimits.hit("queued", limit: limit)
    #expect(fixture.sqlite.writesRunInline.load(ordering: .relaxed) == 0)
    try await SQLWritePriority.$latencyCritical.withValue(true) {
      _ = try await fixture.store.rateLimits.hit("inline", limit: limit)
    }
    #expect(fixture.sqlite.writesRunInline.load(ordering: .relaxed) == 1)
    #expect(try await fixture.store.rateLimits.window("inline")?.count == 1)
  }

  /// Another process holds the write lock: the write is queued on GRDB's writer queue (which waits up to the busy
  /// timeout) instead of waiting on the caller's thread, and completes once the lock is released.
  @Test func aWriteBehindAnotherProcessesLockIsQueuedAndCompletes() async throws {
    let fixture = try await StoreFixture()
    let folder = (fixture.sqlite.path as NSString).deletingLastPathComponent
    let release = folder + "/release-lock"
    let script = """
      import sqlite3, sys, os, time
      c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
      c.execute('BEGIN IMMEDIATE')
      print('locked', flush=True)
      while not os.path.exists(sys.argv[2]): time.sleep(0.01)
      c.execute('COMMIT')
      """
    let holder = try ChildProcess(
      executable: "/usr/bin/python3", arguments: ["-c", script, fixture.sqlite.path, release],
      stdoutPath: folder + "/holder.out", stderrPath: folder + "/holder.err")
    try await poll("the other process holds the write lock") { holder.standardOutput.contains("locked") }
    // A busy timeout longer than the poll's deadline: a write that waited for the lock on the caller's thread would
    // still be waiting when the poll gives up.
    let sqlite = try SQLiteDatabase(path: fixture.sqlite.path, busyTimeout: 120)
    let limits = RateLimitRepository(database: sqlite)
    let write = Task {
      try await SQLWritePriority.$latencyCritical.withValue(true) {
        try await limits.hit("k", limit: FixedWindowLimit(limit: 5, windowMs: 60_000))
      }
    }
    try await poll("the write was queued behind the lock") {
      sqlite.writesDeferredByLock.load(ordering: .relaxed) == 1
    }
    #expect(FileManager.default.createFile(atPath: release, contents: Data()))
    #expect(try await write.value.allowed)
    #expect(try await fixture.store.rateLimits.window("k")?.count == 1)
    #expect(sqlite.writesRunInline.load(ordering: .relaxed) == 0)
    await holder.waitForExit()
    #expect(holder.exitCode == 0, "\(holder.standardError)")
    try await sqlite.close()
  }
}
