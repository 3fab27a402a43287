import Foundation

/// Progress lines on stderr (the table goes to stdout), and a watchdog per phase: a benchmark that hangs is
/// worse than one that stops and says where.
enum Progress {
  static let start = ContinuousClock.now

  static func note(_ text: String) {
    let elapsed = Statistics.seconds(ContinuousClock.now - start)
    FileHandle.standardError.write(Data(String(format: "[%7.1f s] %@\n", elapsed, text).utf8))
  }

  /// Runs one phase; the process exits with a message if it takes longer than `limit`.
  static func phase<T>(_ name: String, limit: Duration, _ body: () async throws -> T) async throws -> T {
    note("\(name)…")
    let watchdog = Task {
      try await Task.sleep(for: limit)
      note("\(name) did not finish within \(limit): giving up")
      exit(3)
    }
    defer { watchdog.cancel() }
    let value = try await body()
    note("\(name) done")
    return value
  }
}
