import Foundation
import TestSupport

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
  static func run(
    _ arguments: [String], in directory: String, environment: [String: String] = [:], stdin: String? = nil
  ) throws -> CLIResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    var env = environment
    env["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    let input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
    let stderrData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CLIResult(
      status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
      stderr: String(decoding: stderrData, as: UTF8.self))
  }
}
