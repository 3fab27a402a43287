import Foundation
import TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// Runs the built `smartlamp` binary once, with its own environment, and captures what it printed.
struct CLIResult {
  let status: Int32
  let stdout: String
  let stderr: String
}

enum CLI {
  static var binary: String {
    let candidates = [".build/debug/smartlamp", ".build/x86_64-unknown-linux-gnu/debug/smartlamp"]
    for path in candidates.map({ repositoryRoot + "/" + $0 }) where FileManager.default.isExecutableFile(atPath: path) {
      return path
    }
    return repositoryRoot + "/.build/debug/smartlamp"
  }

  /// Runs `smartlamp args…` in `directory` with only the given environment (plus PATH), so the developer's own
  /// SMARTLAMP_* variables never leak into a test.
  ///
  /// Started with posix_spawn, its input and output in files, rather than Foundation's `Process`: on Linux
  /// `Process.run()` over-reads while listing /proc/self/fd and crashes now and then in a suite that starts many
  /// children (swiftlang/swift-corelibs-foundation#5472, fixed after our toolchain; it crashed BackupRestoreTests once).
  static func run(
    _ arguments: [String], in directory: String, environment: [String: String] = [:], stdin: String? = nil
  ) throws -> CLIResult {
    var env = environment
    env["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    let files = TemporaryDirectory(prefix: "smartlamp-cli")
    let (input, output, errors) = (files.file("stdin"), files.file("stdout"), files.file("stderr"))
    try Data((stdin ?? "").utf8).write(to: URL(fileURLWithPath: input))

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    // `sh` moves into `directory` and becomes the binary (posix_spawn_file_actions_addchdir_np is not in Swift's Glibc).
    let shell = ["/bin/sh", "-c", #"cd -- "$0" && exec "$@""#, directory, binary]
    let pid = try spawnChild(
      "/bin/sh", arguments: shell + arguments, environment: env.map { "\($0.key)=\($0.value)" }, actions: &actions)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 {
      guard errno == EINTR else { throw HarnessError("waitpid \(pid) failed: \(errno)") }
    }
    // As Process.terminationStatus: the exit code, or the signal that ended it.
    let signal = status & 0x7f
    let code = signal == 0 ? (status >> 8) & 0xff : signal
    let read = { (path: String) in String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
    }
    return CLIResult(status: code, stdout: read(output), stderr: read(errors))
  }
}
