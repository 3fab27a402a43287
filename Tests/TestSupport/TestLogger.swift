import Logging

#if canImport(Glibc)
  import Glibc
#endif

extension Logger {
  /// The logger of the server or service a test starts: errors only, so the failures a test provokes on purpose
  /// (503s, a dead broker, a full disk) stay out of the output and an unexpected error stands out.
  /// `SMARTLAMP_TEST_LOG_LEVEL=debug` (any swift-log level) shows more when a test needs looking into.
  public static func quiet(_ label: String = "test", level: Logger.Level = .error) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = TestLogLevel.override ?? level
    return logger
  }
}

enum TestLogLevel {
  static let override: Logger.Level? = {
    guard let raw = getenv("SMARTLAMP_TEST_LOG_LEVEL") else { return nil }
    return Logger.Level(rawValue: String(cString: raw).lowercased())
  }()
}
