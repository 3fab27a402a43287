import Tasmota

/// What the simulator reports while it runs, for the CLI's log lines and for tests.
public enum SimulatorEvent: Sendable, Hashable, CustomStringConvertible {
  /// Connected, LWT `Online` and discovery published.
  case online(device: String)
  /// The connection is gone (on purpose or not); the broker has published the Will unless we said goodbye.
  case offline(device: String, reason: String)
  /// A connection attempt failed; the device retries with backoff.
  case connectFailed(device: String, error: String)
  /// A command was handled.
  case command(SimulatorCommandRecord)

  public var description: String {
    switch self {
    case .online(let device): "\(device) online"
    case .offline(let device, let reason): "\(device) offline (\(reason))"
    case .connectFailed(let device, let error): "\(device) connect failed: \(error)"
    case .command(let record): record.description
    }
  }
}

/// One handled command: what came in, what the device did, and whether the replies went out.
public struct SimulatorCommandRecord: Sendable, Hashable, CustomStringConvertible {
  public var device: String
  /// As received, e.g. `POWER2 TOGGLE` or `STATUS 0`.
  public var command: String
  public var outcome: SimulatorCommandOutcome
  /// True when fault injection swallowed the replies.
  public var dropped: Bool
  /// The injected reply latency.
  public var latency: Duration

  public var description: String {
    let result: String
    switch outcome {
    case .power(_, let states): result = states.map(\.description).joined(separator: " ")
    case .status(let suffixes): result = suffixes.joined(separator: " ")
    case .state: result = "STATE"
    case .unknown: result = "unknown command"
    case .ignored: result = "ignored"
    case .refused(let code): result = "refused \(code)"
    }
    var line = "\(device) \(command) -> \(result)"
    if latency > .zero { line += " after \(latency.milliseconds) ms" }
    if dropped { line += " [reply dropped]" }
    return line
  }
}

extension Duration {
  /// Whole milliseconds, for log lines.
  var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
