import SmartLampStore

/// How a published command ended (CONTRACT §7): the device acknowledged it, the acknowledgement timed out, or the
/// lamp refused it.
enum CommandOutcome: Sendable, Hashable {
  case acked(at: Int64, latencyMs: Int64)
  case timeout
  /// The lamp refused the command; `code` is its error (`SIGNATURE_INVALID`, `EXPIRED`, …).
  case refused(code: String)

  var status: CommandStatus {
    switch self {
    case .acked: .acked
    case .timeout: .timeout
    case .refused: .failed
    }
  }

  /// The lamp's refusal code, for the audit row's `error` and the realtime `command` event.
  var error: String? {
    if case .refused(let code) = self { return code }
    return nil
  }
}

extension Duration {
  /// Whole milliseconds, rounded down.
  var wholeMilliseconds: Int64 {
    let (seconds, attoseconds) = components
    return seconds * 1000 + attoseconds / 1_000_000_000_000_000
  }
}
