import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// What a program run to completion printed, and how it ended.
public struct RunResult: Sendable {
  /// The exit code, or the number of the signal that ended it (as Foundation's `Process.terminationStatus`).
  public let status: Int32
  public let stdout: String
  public let stderr: String
}

/// Runs `executable arguments…` to completion in `directory` (nil: this process's) with exactly `environment`
/// (nil: this process's), `stdin` as its input, and returns what it printed.
///
/// Started with posix_spawn, its input and output in files, rather than Foundation's `Process`: on Linux
/// `Process.run()` over-reads while listing /proc/self/fd and crashes now and then in a suite that starts many
/// children (swiftlang/swift-corelibs-foundation#5472, fixed after our toolchain; it crashed BackupRestoreTests once).
/// Files, not pipes: nothing has to read while the child runs, so a chatty child can never block on a full pipe.
public func runOnce(
  _ executable: String, _ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil,
  stdin: String = ""
) throws -> RunResult {
  let files = TemporaryDirectory(prefix: "smartlamp-run")
  let (input, output, errors) = (files.file("stdin"), files.file("stdout"), files.file("stderr"))
  try Data(stdin.utf8).write(to: URL(fileURLWithPath: input))

  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
  posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  var argv = [executable] + arguments
  var path = executable
  if let directory {
    // `sh` moves into `directory` and becomes the program (posix_spawn_file_actions_addchdir_np is not in Swift's
    // Glibc).
    argv = ["/bin/sh", "-c", #"cd -- "$0" && exec "$@""#, directory] + argv
    path = "/bin/sh"
  }
  let pid = try spawnChild(
    path, arguments: argv, environment: environment.map { $0.map { "\($0.key)=\($0.value)" } }, actions: &actions)
  let status = try reap(pid)
  let signal = status & 0x7f
  let read = { (path: String) in String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) }
  return RunResult(status: signal == 0 ? (status >> 8) & 0xff : signal, stdout: read(output), stderr: read(errors))
}

/// Waits for child `pid` to end and returns its raw wait status.
public func reap(_ pid: pid_t) throws -> Int32 {
  var status: Int32 = 0
  while waitpid(pid, &status, 0) == -1 {
    guard errno == EINTR else { throw HarnessError("waitpid \(pid) failed: \(errno)") }
  }
  return status
}
