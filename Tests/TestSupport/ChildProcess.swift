import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Why a peer process could not be started or did not become ready.
public struct HarnessError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// A child process started with posix_spawn, its output in files, stopped by PID.
///
/// Each child gets a watchdog (`sh` reading a close-on-exec pipe only this process holds): if the test process
/// dies without stopping it, the pipe reaches EOF and the watchdog SIGKILLs the child. Thread-safe: the PIDs never
/// change and all mutable state sits behind a lock.
public final class ChildProcess: @unchecked Sendable {
  public let pid: pid_t
  public let stdoutPath: String
  public let stderrPath: String
  private let watchdogPID: pid_t
  private let watchdogPipe: Int32
  private let lock = NSLock()
  private var exitStatus: Int32?

  /// Starts `executable` with `arguments`; stdout and stderr go to the given files (appended).
  public init(executable: String, arguments: [String], stdoutPath: String, stderrPath: String) throws {
    guard FileManager.default.isExecutableFile(atPath: executable) else {
      throw HarnessError("\(executable) is missing: run scripts/install-deps.sh --test")
    }
    self.stdoutPath = stdoutPath
    self.stderrPath = stderrPath
    // Serialise spawning so no other child is forked between pipe() and FD_CLOEXEC and inherits the pipe.
    spawnLock.lock()
    defer { spawnLock.unlock() }
    pid = try Self.spawn(executable, arguments, stdin: nil, stdout: stdoutPath, stderr: stderrPath)
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else {
      Glibc.kill(pid, SIGKILL)
      throw HarnessError("pipe failed")
    }
    _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    watchdogPipe = fds[1]
    do {
      watchdogPID = try Self.spawn(
        "/bin/sh", ["-c", "read _ignored; kill -9 \(pid) 2>/dev/null"], stdin: fds[0], stdout: "/dev/null",
        stderr: "/dev/null")
    } catch {
      Glibc.kill(pid, SIGKILL)
      throw error
    }
    close(fds[0])
  }

  deinit {
    if exitStatus == nil { Glibc.kill(pid, SIGKILL) }
    Glibc.kill(watchdogPID, SIGKILL)
    var status: Int32 = 0
    waitpid(watchdogPID, &status, 0)
    if exitStatus == nil { waitpid(pid, &status, 0) }
    close(watchdogPipe)
  }

  /// Whether the process is still running (reaps it if it has exited).
  public var isRunning: Bool {
    lock.lock()
    defer { lock.unlock() }
    if exitStatus != nil { return false }
    var status: Int32 = 0
    let result = waitpid(pid, &status, WNOHANG)
    if result == pid || result < 0 {
      exitStatus = status
      return false
    }
    return true
  }

  /// The exit code once the process has exited normally (nil while running or after a signal).
  public var exitCode: Int32? {
    guard !isRunning else { return nil }
    lock.lock()
    defer { lock.unlock() }
    guard let status = exitStatus, status & 0x7F == 0 else { return nil }
    return (status >> 8) & 0xFF
  }

  public func signal(_ signal: Int32) {
    if isRunning { Glibc.kill(pid, signal) }
  }

  /// Waits for exit; sends SIGKILL if it has not exited after `timeout`.
  public func waitForExit(timeout: Duration = .seconds(10)) async {
    do {
      try await poll("process \(pid) exits", timeout: timeout, interval: .milliseconds(5)) { !isRunning }
    } catch {
      signal(SIGKILL)
      try? await poll("process \(pid) exits after SIGKILL", timeout: .seconds(5)) { !isRunning }
    }
  }

  /// SIGTERM, then wait (SIGKILL after 10 s).
  public func terminate() async {
    signal(SIGTERM)
    await waitForExit()
  }

  public var standardOutput: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
  public var standardError: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

  private static func spawn(
    _ executable: String, _ arguments: [String], stdin: Int32?, stdout: String, stderr: String
  ) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if let stdin {
      posix_spawn_file_actions_adddup2(&actions, stdin, 0)
    } else {
      posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    }
    posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    return try spawnChild(executable, arguments: [executable] + arguments, actions: &actions)
  }
}

/// Starts `path` with `arguments` (`argv[0]` included), the file actions `actions` and `environment` ("NAME=value";
/// nil: this process's), with every signal unblocked and the usual ones at their defaults: the test process's
/// threads may block or ignore signals, and a child that inherited that would never see SIGTERM.
public func spawnChild(
  _ path: String, arguments: [String], environment: [String]? = nil, actions: inout posix_spawn_file_actions_t
) throws -> pid_t {
  var attributes = posix_spawnattr_t()
  posix_spawnattr_init(&attributes)
  defer { posix_spawnattr_destroy(&attributes) }
  var emptyMask = sigset_t()
  sigemptyset(&emptyMask)
  posix_spawnattr_setsigmask(&attributes, &emptyMask)
  var defaults = sigset_t()
  sigemptyset(&defaults)
  for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
  posix_spawnattr_setsigdefault(&attributes, &defaults)
  posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
  let argv = arguments.map { strdup($0) } + [nil]
  let envp = environment.map { $0.map { strdup($0) } + [nil] }
  defer {
    for pointer in argv { free(pointer) }
    for pointer in envp ?? [] { free(pointer) }
  }
  var pid: pid_t = 0
  let result =
    envp.map { posix_spawn(&pid, path, &actions, &attributes, argv, $0) }
    ?? posix_spawn(&pid, path, &actions, &attributes, argv, environ)
  guard result == 0 else { throw HarnessError("posix_spawn \(path) failed: \(result)") }
  return pid
}

let spawnLock = NSLock()

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
public func portAcceptsConnections(_ port: Int) -> Bool {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  guard fd >= 0 else { return false }
  defer { close(fd) }
  var addr = sockaddr_in()
  addr.sin_family = sa_family_t(AF_INET)
  addr.sin_port = in_port_t(UInt16(port).bigEndian)
  addr.sin_addr.s_addr = inet_addr("127.0.0.1")
  let result = withUnsafePointer(to: &addr) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
  }
  return result == 0
}
