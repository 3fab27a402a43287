#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A running `smartlamp serve` announces itself in the database it serves: one `server_state` row per process
/// (name `serve:<instance>`), holding its host, process id and a lease it renews while it runs and deletes when it
/// stops. `smartlamp restore` refuses a database with a live row, so a restore never writes under a running
/// server (whose caches would then disagree with the database). A process that was killed leaves its row behind:
/// the row stops counting when its lease ends, or at once when it names this host and its process is gone.
public struct ServerPresenceRepository: Sendable {
  public let database: any SQLDatabase

  public init(database: any SQLDatabase) { self.database = database }

  /// Rows of this kind in `server_state` (never copied by a backup or restore: they describe a process).
  public static let namePrefix = "serve:"

  public struct Presence: Sendable, Equatable {
    public var instance: String
    public var host: String
    public var pid: Int32
    /// Epoch ms of the last renewal.
    public var renewedAt: Int64
    /// Epoch ms at which the row stops counting unless renewed.
    public var leaseUntil: Int64

    public init(instance: String, host: String, pid: Int32, renewedAt: Int64, leaseUntil: Int64) {
      self.instance = instance
      self.host = host
      self.pid = pid
      self.renewedAt = renewedAt
      self.leaseUntil = leaseUntil
    }

    /// `value`: `<host> <pid> <leaseUntil>` (a host name holds no space).
    var value: String { "\(host) \(pid) \(leaseUntil)" }

    init?(name: String, value: String, updatedAt: Int64) {
      let parts = value.split(separator: " ")
      guard name.hasPrefix(ServerPresenceRepository.namePrefix), parts.count == 3, let pid = Int32(parts[1]),
        let lease = Int64(parts[2])
      else { return nil }
      self.init(
        instance: String(name.dropFirst(ServerPresenceRepository.namePrefix.count)), host: String(parts[0]),
        pid: pid, renewedAt: updatedAt, leaseUntil: lease)
    }
  }

  /// Writes or renews `presence`'s row.
  public func announce(_ presence: Presence) async throws {
    try await database.write { conn in
      try conn.execute(
        conn.dialect.upsert(
          into: "server_state", columns: ["name", "value", "updated_at"], conflictColumns: ["name"],
          updateColumns: ["value", "updated_at"]),
        [.text(Self.namePrefix + presence.instance), .text(presence.value), .int64(presence.renewedAt)])
    }
  }

  /// Deletes `instance`'s row (the server stops).
  public func withdraw(instance: String) async throws {
    try await database.write { conn in
      try conn.execute("DELETE FROM server_state WHERE name = ?", [.text(Self.namePrefix + instance)])
    }
  }

  /// The servers running on this database at `now`: rows whose lease has not ended, except those of a process of
  /// this host that no longer exists (killed before it could withdraw). None without a SmartLamp schema.
  public func running(now: Int64 = Timestamp.nowMillis()) async throws -> [Presence] {
    try await database.read { conn in try Self.running(conn, now: now) }
  }

  /// As ``running(now:)``, inside a transaction the caller runs.
  public static func running(_ conn: any SQLConnection, now: Int64 = Timestamp.nowMillis()) throws -> [Presence] {
    guard try hasServerState(conn) else { return [] }
    let host = localHost
    return try rows(conn).filter { $0.leaseUntil > now && !($0.host == host && processIsGone($0.pid)) }
  }

  /// This machine's name as the rows hold it (no DNS lookup: `gethostname`).
  public static var localHost: String {
    var buffer = [UInt8](repeating: 0, count: 256)
    let status = buffer.withUnsafeMutableBytes { gethostname($0.baseAddress!.assumingMemoryBound(to: CChar.self), 255) }
    guard status == 0 else { return "localhost" }
    let name = String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self).filter { !$0.isWhitespace }
    return name.isEmpty ? "localhost" : String(name.prefix(100))
  }

  /// Whether no process `pid` exists here (a process of another user still exists: EPERM is not gone).
  static func processIsGone(_ pid: Int32) -> Bool {
    pid > 0 && kill(pid, 0) != 0 && errno == ESRCH
  }

  /// Every presence row, inside a transaction the caller runs.
  public static func rows(_ conn: any SQLConnection) throws -> [Presence] {
    try conn.query(
      "SELECT name, value, updated_at FROM server_state WHERE name LIKE ?", [.text(namePrefix + "%")]
    ).compactMap { row in
      Presence(name: try row.string("name"), value: try row.string("value"), updatedAt: try row.int64("updated_at"))
    }
  }

  static func hasServerState(_ conn: any SQLConnection) throws -> Bool {
    switch conn.dialect {
    case .sqlite:
      try conn.queryOne("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'server_state'") != nil
    case .mariadb:
      try conn.queryOne(
        """
        SELECT table_name FROM information_schema.tables
        WHERE table_schema = DATABASE() AND table_name = 'server_state'
        """) != nil
    }
  }
}
