import Logging
import ServiceLifecycle
import SmartLampStore

/// Everything lamp control shares: the broker connection, device state, commands, realtime hub, discovery.
/// Made once in `buildApplication`.
public struct LampServices: Sendable {
  public init(configuration: Configuration, database: any SQLDatabase, logger: Logger) async throws {}

  /// Long-running parts (broker connection, state flusher, ...), run under the application's ServiceGroup.
  var backgroundServices: [any Service] { [] }

  /// Extra readiness checks (e.g. the broker).
  var readinessChecks: [any ReadinessCheck] { [] }
}
