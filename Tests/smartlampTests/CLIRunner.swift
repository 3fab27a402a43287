import Foundation
import TestSupport

/// Runs the built `smartlamp` binary once, with its own environment, and captures what it printed.
typealias CLIResult = RunResult

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
  static func run(
    _ arguments: [String], in directory: String, environment: [String: String] = [:], stdin: String? = nil
  ) throws -> CLIResult {
    var env = environment
    env["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return try runOnce(binary, arguments, in: directory, environment: env, stdin: stdin ?? "")
  }
}
