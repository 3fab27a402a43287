import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
  import Glibc
#endif

/// The real server as people run it: the `smartlamp` binary of the same build (next to this one), `smartlamp serve`
/// on its own SQLite file and a free port, as a child process, so its memory is read from /proc on its own and the
/// time from exec to the first healthy answer is what a service manager sees.
final class BenchServer: Sendable {
  static let adminEmail = "bench@example.com"
  static let adminPassword = "bench-password-1"

  let port: Int
  let process: Process
  /// From starting the process to the first `200` of `GET /api/health`.
  let startToHealthy: Duration
  let binary: String

  private init(port: Int, process: Process, startToHealthy: Duration, binary: String) {
    self.port = port
    self.process = process
    self.startToHealthy = startToHealthy
    self.binary = binary
  }

  /// The `smartlamp` binary beside this executable (both come from one `swift build`).
  static func defaultBinary() -> String {
    let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    return me.deletingLastPathComponent().appendingPathComponent("smartlamp").path
  }

  /// SQLite in `directory`, or the empty database named by `SMARTLAMP_BENCH_DATABASE_URL` (scripts/bench-engines.sh
  /// compares the engines with it; a phase that starts a second server then finds the first one's rows).
  static func databaseURL(directory: String) -> String {
    ProcessInfo.processInfo.environment["SMARTLAMP_BENCH_DATABASE_URL"] ?? "sqlite://\(directory)/smartlamp.sqlite"
  }

  static func start(binary: String, brokerURL: String, directory: String) async throws -> BenchServer {
    let port = try freePort()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = [
      "serve", "--port", "\(port)", "--host", "127.0.0.1", "--database-url", databaseURL(directory: directory),
      "--mqtt-url", brokerURL, "--log-level", "error",
      "--set", "data.dir=\(directory)/data",
      "--set", "auth.bcrypt-cost=4",
      "--set", "auth.access-token-ttl-sec=21600",
      // Raised, not disabled: the limiter's database write stays in the measured path as in production.
      "--set", "ratelimit.command-max=1000000",
      // Thousands of streams from a few people on one loopback address: the caps of issue #10 would end them.
      "--set", "http.max-connections-per-address=0",
      "--set", "realtime.max-streams-per-session=0",
      "--set", "realtime.max-streams-per-person=0",
    ]
    var environment = ProcessInfo.processInfo.environment
    environment["SMARTLAMP_ADMIN_EMAIL"] = adminEmail
    environment["SMARTLAMP_ADMIN_PASSWORD"] = adminPassword
    process.environment = environment
    process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
    let log = directory + "/server.log"
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    process.standardError = FileHandle(forWritingAtPath: log)
    let started = ContinuousClock.now
    try process.run()
    let deadline = started + .seconds(60)
    while !(await healthy(port: port)) {
      guard process.isRunning, ContinuousClock.now < deadline else {
        if process.isRunning { process.terminate() }
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        throw RawHTTPClient.Failure(description: "the server did not become healthy: \(text.suffix(2000))")
      }
      try await Task.sleep(for: .milliseconds(2))
    }
    return BenchServer(
      port: port, process: process, startToHealthy: ContinuousClock.now - started, binary: binary)
  }

  /// Resident memory of the server process (VmRSS), in bytes.
  var residentBytes: Int {
    let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
  }

  /// SIGTERM (a graceful stop, as systemd sends), then waits for the process.
  func stop() async {
    guard process.isRunning else { return }
    process.terminate()
    let deadline = ContinuousClock.now + .seconds(30)
    while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
  }

  /// One `GET /api/health` on a fresh connection; false on any failure.
  static func healthy(port: Int) async -> Bool {
    do {
      let client = try await RawHTTPClient.connect(
        host: "127.0.0.1", port: port, group: MultiThreadedEventLoopGroup.singleton)
      defer { Task { await client.close() } }
      return try await client.send("GET", "/api/health").status == 200
    } catch {
      return false
    }
  }

  /// A loopback port nobody listens on right now (bound, read and released).
  static func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw RawHTTPClient.Failure(description: "socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
        bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
      }
    }
    guard bound else { throw RawHTTPClient.Failure(description: "no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
  }
}
