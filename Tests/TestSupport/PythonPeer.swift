import Foundation

/// Python scripts run with the project's venv (paho-mqtt, amqtt), as independent peers in interop tests.
public enum PythonPeer {
  /// `<repository>/.venv/bin/python`, made by `scripts/install-deps.sh --test`.
  public static var python: String { repositoryRoot + "/.venv/bin/python" }

  static func checkVenv() throws {
    guard FileManager.default.isExecutableFile(atPath: python) else {
      throw HarnessError("the Python venv is missing (\(python)): run scripts/install-deps.sh --test")
    }
  }

  /// Starts `script` (Python source) with `arguments`; stop it with ``PythonProcess/stop()``.
  public static func start(_ script: String, arguments: [String] = []) throws -> PythonProcess {
    try checkVenv()
    let directory = TemporaryDirectory(prefix: "smartlamp-python")
    try script.write(toFile: directory.file("script.py"), atomically: true, encoding: .utf8)
    let child = try ChildProcess(
      executable: python, arguments: ["-u", directory.file("script.py")] + arguments,
      stdoutPath: directory.file("stdout"), stderrPath: directory.file("stderr"))
    return PythonProcess(child: child, directory: directory)
  }

  /// Runs `script` to completion (killed after `timeout`) and returns its exit code and output.
  public static func run(_ script: String, arguments: [String] = [], timeout: Duration = .seconds(30)) async throws
    -> (exitCode: Int32?, output: String, errors: String)
  {
    let process = try start(script, arguments: arguments)
    await process.child.waitForExit(timeout: timeout)
    return (process.child.exitCode, process.output, process.errors)
  }
}

/// A running Python script: its stdout can be polled while it runs.
public final class PythonProcess: Sendable {
  public let child: ChildProcess
  private let directory: TemporaryDirectory

  init(child: ChildProcess, directory: TemporaryDirectory) {
    self.child = child
    self.directory = directory
  }

  public var output: String { child.standardOutput }
  public var errors: String { child.standardError }

  /// Waits until the script printed a line equal to `line`; fails early if the script exits first.
  public func waitForLine(_ line: String, timeout: Duration = .seconds(15)) async throws {
    try await poll("python printed \(line)", timeout: timeout) {
      if output.split(separator: "\n").contains(where: { $0 == line }) { return true }
      guard child.isRunning else {
        throw HarnessError(
          "python exited (\(child.exitCode.map(String.init) ?? "signal")) before printing \(line):\n\(output)\n\(errors)"
        )
      }
      return false
    }
  }

  /// Waits for the script to exit by itself (killed after `timeout`); returns its exit code.
  @discardableResult
  public func waitForExit(timeout: Duration = .seconds(15)) async -> Int32? {
    await child.waitForExit(timeout: timeout)
    return child.exitCode
  }

  public func stop() async {
    await child.terminate()
  }
}
