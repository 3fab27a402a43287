import Logging
import Synchronization

/// Keeps every log line (message, metadata and the logger's own metadata) as text, for checks that secrets never
/// reach the log.
final class LogCapture: Sendable {
  private let lines = Mutex<[String]>([])

  var text: String { lines.withLock { $0.joined(separator: "\n") } }

  func append(_ line: String) { lines.withLock { $0.append(line) } }

  /// A logger at trace level that writes here.
  func logger(label: String = "metrics-test") -> Logger {
    var logger = Logger(label: label) { label in CapturingLogHandler(capture: self, label: label) }
    logger.logLevel = .trace
    return logger
  }
}

struct CapturingLogHandler: LogHandler {
  let capture: LogCapture
  let label: String
  var logLevel: Logger.Level = .trace
  var metadata: Logger.Metadata = [:]

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    var all = metadata
    if let extra = event.metadata { all.merge(extra) { $1 } }
    capture.append("\(event.level) \(label): \(event.message) \(all) \(event.source) \(event.function)")
  }
}
