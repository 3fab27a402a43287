import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A private MariaDB server for tests: its own datadir in a temporary folder, TCP on a free 127.0.0.1 port plus a
/// Unix socket, TLS with the shared test CA, and one login (`smartlamp`) allowed everything. Tests share one server
/// per test process (``shared()``) and each takes a database of its own (``createDatabase()``).
///
/// Whether MariaDB tests run: `SMARTLAMP_TEST_MARIADB=1` makes them mandatory (a server that cannot start fails
/// the tests; scripts/test.sh sets it), `0` turns them off, unset runs them when `mariadbd` is installed.
public final class MariaDBServer: Sendable {
  public static let serverExecutable = "/usr/sbin/mariadbd"
  public static let installExecutable = "/usr/bin/mariadb-install-db"
  public static let clientExecutable = "/usr/bin/mariadb"

  public let port: Int
  public let socketPath: String
  public let user = "smartlamp"
  public let password = "smartlamp-test-secret"
  public let caFile: String
  private let directory: TemporaryDirectory
  private let process = Locked<ChildProcess?>(nil)
  private let databaseCounter = Locked(0)
  private let extraArguments: [String]

  /// Whether this test process runs MariaDB variants at all.
  public static var isEnabled: Bool {
    switch ProcessInfo.processInfo.environment["SMARTLAMP_TEST_MARIADB"] {
    case "1": true
    case "0": false
    default: FileManager.default.isExecutableFile(atPath: serverExecutable)
    }
  }

  /// The process-wide server, started on first use and killed when the test process exits.
  public static func shared() async throws -> MariaDBServer {
    try await sharedStart.value
  }

  private static let sharedStart = Task<MariaDBServer, any Error> {
    let server = try await MariaDBServer.start()
    registerExitCleanup(server)
    return server
  }

  /// A server of its own (for tests that stop and restart it, or that need `extraArguments`, such as
  /// `--version=10.4.34-MariaDB` to pose as an older server); call ``stop()`` when done.
  public static func start(extraArguments: [String] = []) async throws -> MariaDBServer {
    guard FileManager.default.isExecutableFile(atPath: serverExecutable) else {
      throw HarnessError("\(serverExecutable) is missing: run scripts/install-deps.sh --mariadb")
    }
    let server = try await MariaDBServer(extraArguments: extraArguments)
    try await server.launch()
    try await server.client(
      """
      CREATE USER '\(server.user)'@'127.0.0.1' IDENTIFIED BY '\(server.password)';
      CREATE USER '\(server.user)'@'localhost' IDENTIFIED BY '\(server.password)';
      GRANT ALL PRIVILEGES ON *.* TO '\(server.user)'@'127.0.0.1';
      GRANT ALL PRIVILEGES ON *.* TO '\(server.user)'@'localhost';
      """)
    return server
  }

  private init(extraArguments: [String]) async throws {
    self.extraArguments = extraArguments
    directory = TemporaryDirectory(prefix: "smartlamp-mariadb")
    port = freePort()
    socketPath = directory.file("run/mysqld.sock")
    let certificates = try await TestCertificates.shared()
    caFile = certificates.caFile
    let fm = FileManager.default
    for folder in ["data", "run", "tls", "tmp"] {
      try fm.createDirectory(atPath: directory.file(folder), withIntermediateDirectories: true)
    }
    for (source, name) in [
      (certificates.caFile, "ca.crt"), (certificates.serverCertificateFile, "server.crt"),
      (certificates.serverKeyFile, "server.key"),
    ] {
      try fm.copyItem(atPath: source, toPath: directory.file("tls/\(name)"))
    }
    try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
    if getuid() == 0 {
      // mariadbd refuses to run as root: it drops to `mysql`, which must own its folders and read the key.
      try await runTool("/bin/chown", ["-R", "mysql:mysql", directory.path])
    }
    let log = directory.file("install.log")
    try await runTool(
      "/bin/sh",
      [
        "-c", "\"$@\" > \(log) 2>&1 || { cat \(log); exit 1; }", "install-db", Self.installExecutable, "--no-defaults",
        "--datadir=\(directory.file("data"))", "--auth-root-authentication-method=socket", "--skip-test-db",
        "--skip-name-resolve", "--tmpdir=\(directory.file("tmp"))",
      ] + userArguments)
  }

  private var userArguments: [String] { getuid() == 0 ? ["--user=mysql"] : [] }

  private var serverArguments: [String] {
    [
      // A private tmpdir: two servers bootstrapping at once in /tmp once collided on a temporary table's file.
      "--no-defaults", "--datadir=\(directory.file("data"))", "--tmpdir=\(directory.file("tmp"))",
      "--socket=\(socketPath)", "--pid-file=\(directory.file("run/mysqld.pid"))", "--port=\(port)",
      "--bind-address=127.0.0.1",
      "--log-error=\(directory.file("run/error.log"))", "--skip-name-resolve", "--skip-log-bin",
      "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
      // Throwaway data: no fsyncs, one shared tablespace (a CREATE TABLE per test would otherwise create a file).
      "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M", "--innodb-flush-log-at-trx-commit=0",
      "--innodb-flush-method=nosync", "--innodb-doublewrite=0", "--innodb-file-per-table=0",
      "--max-connections=500",
      "--ssl-ca=\(directory.file("tls/ca.crt"))", "--ssl-cert=\(directory.file("tls/server.crt"))",
      "--ssl-key=\(directory.file("tls/server.key"))",
    ] + userArguments + extraArguments
  }

  /// Starts mariadbd and waits until root can run a query over the socket (`mariadb-admin ping` answers before
  /// authentication works).
  public func launch() async throws {
    let child = try ChildProcess(
      executable: Self.serverExecutable, arguments: serverArguments, stdoutPath: directory.file("stdout.log"),
      stderrPath: directory.file("stderr.log"))
    process.withLock { $0 = child }
    do {
      try await poll("MariaDB accepts queries", timeout: .seconds(60), interval: .milliseconds(20)) {
        guard child.isRunning else {
          let log = (try? String(contentsOfFile: directory.file("run/error.log"), encoding: .utf8)) ?? ""
          throw HarnessError("mariadbd exited during startup: \(log.suffix(2000))")
        }
        return (try? await client("SELECT 1")) != nil
      }
    } catch {
      await child.terminate()
      throw error
    }
  }

  /// Stops the server (clean shutdown, SIGKILL after 10 s); ``launch()`` starts it again on the same data.
  public func stop() async {
    guard let child = process.withLock({ $0 }) else { return }
    await child.terminate()
  }

  /// Kills the server at once, as a crash would.
  public func kill() async {
    guard let child = process.withLock({ $0 }) else { return }
    child.signal(SIGKILL)
    await child.waitForExit()
  }

  /// Runs SQL as root over the socket with the `mariadb` client; throws with its output on failure.
  public func client(_ sql: String, database: String? = nil) async throws {
    var arguments = ["--no-defaults", "--socket=\(socketPath)", "-uroot", "--batch", "-e", sql]
    if let database { arguments.append(database) }
    try await runTool(Self.clientExecutable, arguments)
  }

  /// A new empty utf8mb4 database with a unique name.
  public func createDatabase(prefix: String = "t") async throws -> MariaDBTestDatabase {
    let number = databaseCounter.withLock { counter -> Int in
      counter += 1
      return counter
    }
    let name = "\(prefix)_\(number)_\(UUID().uuidString.prefix(6).lowercased())"
    try await client("CREATE DATABASE \(name) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    return MariaDBTestDatabase(server: self, name: name)
  }

  public func dropDatabase(_ name: String) async throws {
    try await client("DROP DATABASE IF EXISTS \(name)")
  }

  fileprivate func killForExit() {
    process.withLock { $0 }?.signal(SIGKILL)
  }

  fileprivate var folder: String { directory.path }
}

/// One database on a test server, with the URL forms the server understands.
public struct MariaDBTestDatabase: Sendable {
  public let server: MariaDBServer
  public let name: String

  /// `mariadb://smartlamp:…@127.0.0.1:PORT/NAME`
  public var url: String {
    "mariadb://\(server.user):\(server.password)@127.0.0.1:\(server.port)/\(name)"
  }

  /// The Unix-socket form.
  public var socketURL: String {
    "mariadb://\(server.user):\(server.password)@localhost/\(name)?socket=\(server.socketPath)"
  }
}

private let exitCleanup = Locked<MariaDBServer?>(nil)

/// The shared server is never released, so its process and datadir go when the test process exits.
private func registerExitCleanup(_ server: MariaDBServer) {
  exitCleanup.withLock { $0 = server }
  atexit {
    guard let server = exitCleanup.withLock({ $0 }) else { return }
    server.killForExit()
    try? FileManager.default.removeItem(atPath: server.folder)
  }
}

/// The SQL engines the store and server suites run on: SQLite always, MariaDB when ``MariaDBServer/isEnabled``.
public enum StoreEngine: String, Sendable, CaseIterable, CustomStringConvertible {
  case sqlite, mariadb

  /// For `@Test(arguments: StoreEngine.all)`.
  public static var all: [StoreEngine] { MariaDBServer.isEnabled ? [.sqlite, .mariadb] : [.sqlite] }

  public var description: String { rawValue }
}
