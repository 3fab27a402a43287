import Logging
import Synchronization

/// Counts messages the MQTT client skipped for exceeding its packet limit (issue #10's flood of huge payloads):
/// they count as malformed in the metrics, and the first few (then every thousandth) are logged.
final class OversizedMessages: Sendable {
  private let skipped = Atomic<Int>(0)
  private let logger: Logger

  init(logger: Logger) {
    self.logger = logger
  }

  func record(_ bytes: Int) {
    let count = skipped.add(1, ordering: .relaxed).newValue
    if count <= 10 || count % 1000 == 0 {
      logger.warning(
        "oversized MQTT message skipped", metadata: ["bytes": "\(bytes)", "count": "\(count)"])
    }
  }

  var count: Int { skipped.load(ordering: .relaxed) }
}
