import Foundation
import SmartLampCore
import TestSupport
import Testing

@testable import SmartLampStore

/// Which presence rows count as a running server, and a restore meeting them (both engines). The CLI test
/// (BackupRestoreTests) covers this host's stopped and killed servers; here a server on another host, whose
/// process cannot be looked at, blocks until its lease ends and no longer after.
@Suite struct ServerPresenceRepositoryTests {
  @Test(arguments: StoreEngine.all) func aRowCountsWhileItsLeaseRunsAndItsProcessMayExist(engine: StoreEngine)
    async throws
  {
    let fixture = try await StoreFixture(engine)
    let presence = ServerPresenceRepository(database: fixture.database)
    let now = Timestamp.nowMillis()
    let here = ServerPresenceRepository.localHost
    let gone = try Self.pidOfAnExitedProcess()
    let rows: [(String, String, Int32, Int64)] = [
      ("elsewhere-live", "other-host", 4242, now + 60_000),
      ("elsewhere-expired", "other-host", 4243, now - 1),
      ("here-live", here, getpid(), now + 60_000),
      ("here-killed", here, gone, now + 60_000),
    ]
    for (instance, host, pid, lease) in rows {
      try await presence.announce(
        .init(instance: instance, host: host, pid: pid, renewedAt: now - 1000, leaseUntil: lease))
    }
    let running = try await presence.running(now: now)
    #expect(Set(running.map(\.instance)) == ["elsewhere-live", "here-live"], "\(running)")
    #expect(try await fixture.database.read { conn in try ServerPresenceRepository.rows(conn) }.count == 4)
    try await presence.withdraw(instance: "here-live")
    #expect(try await presence.running(now: now).map(\.instance) == ["elsewhere-live"])
  }

  @Test(arguments: StoreEngine.all) func aRestoreWaitsForAnotherHostsLeaseToEnd(engine: StoreEngine) async throws {
    let source = try await StoreFixture(engine)
    _ = try await source.user("ibu@rumah.id", role: .admin, name: "Ibu")
    let file = source.directory.file("household.backup")
    try await PortableBackup.write(from: source.database, to: file)

    let target = try await StoreFixture(engine)
    let presence = ServerPresenceRepository(database: target.database)
    let now = Timestamp.nowMillis()
    try await presence.announce(
      .init(instance: "far", host: "other-host", pid: 4242, renewedAt: now - 2000, leaseUntil: now + 60_000))
    await #expect {
      try await PortableBackup.restore(from: file, into: target.database)
    } throws: { error in
      let text = (error as? PortableBackup.Failure)?.description ?? "\(error)"
      return text.hasPrefix("a server is running on this database (smartlamp serve, pid 4242 on other-host, seen ")
        && text.hasSuffix(" s ago): stop it first (systemctl stop smartlamp) and restore again")
    }
    #expect(try await target.count("users") == 0)

    // The same server, silent past its lease (killed, or its host is gone): its row no longer blocks.
    try await presence.announce(
      .init(instance: "far", host: "other-host", pid: 4242, renewedAt: now - 20_000, leaseUntil: now - 5000))
    let summary = try await PortableBackup.restore(from: file, into: target.database)
    #expect(summary.rows.first { $0.table == "users" }?.count == 1)
    #expect(try await target.database.read { conn in try ServerPresenceRepository.rows(conn) }.isEmpty)
  }

  /// A process of this host that has exited and been reaped.
  static func pidOfAnExitedProcess() throws -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    let pid = try spawnChild("/bin/true", arguments: ["/bin/true"], actions: &actions)
    _ = try reap(pid)
    return pid
  }
}
