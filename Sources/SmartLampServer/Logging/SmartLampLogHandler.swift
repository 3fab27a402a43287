import Foundation
import Logging

/// Writes one line per log event to standard error or a rotated file (``LogSink``), as readable text or as one JSON
/// object, with metadata.
/// Secrets never reach it: callers log ids and outcomes, not tokens or passwords.
public struct SmartLampLogHandler: LogHandler {
  public var logLevel: Logger.Level
  public var metadata: Logger.Metadata = [:]
  public var metadataProvider: Logger.MetadataProvider?
  private let label: String
  private let format: Configuration.LogFormat
  private let sink: LogSink

  public init(label: String, level: Logger.Level, format: Configuration.LogFormat) {
    self.init(label: label, level: level, format: format, sink: .standardError)
  }

  init(label: String, level: Logger.Level, format: Configuration.LogFormat, sink: LogSink) {
    self.label = label
    self.logLevel = level
    self.format = format
    self.sink = sink
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var all = metadata
    if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
    if let extra = event.metadata { all.merge(extra) { $1 } }
    let time = APITime.iso8601(Date())
    let line: String
    switch format {
    case .text:
      let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
      line = "\(time) \(event.level) \(label): \(event.message)\(fields.isEmpty ? "" : " " + fields)\n"
    case .json:
      var object: [String: Any] = [
        "time": time, "level": event.level.rawValue, "label": label,
        "message": event.message.description,
      ]
      for (key, value) in all { object[key] = Self.json(value) }
      let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
      line = (String(data: data, encoding: .utf8) ?? "{}") + "\n"
    }
    sink.write(line)
  }

  private static func json(_ value: Logger.MetadataValue) -> Any {
    switch value {
    case .string(let text): return text
    case .stringConvertible(let convertible): return convertible.description
    case .array(let items): return items.map(json)
    case .dictionary(let dict): return dict.mapValues(json)
    }
  }

  /// Installs the handler process-wide; call once at start.
  public static func bootstrap(_ config: Configuration) {
    let sink = sink(for: config)
    LoggingSystem.bootstrap { label in
      SmartLampLogHandler(label: label, level: config.logLevel, format: config.logFormat, sink: sink)
    }
  }

  static func sink(for config: Configuration) -> LogSink {
    guard let path = config.logFile else { return .standardError }
    return LogSink(
      rotation: .init(path: path, maxBytes: Int64(config.logFileMaxMiB) * 1024 * 1024, keep: config.logFileKeep))
  }
}
