/// A part the server needs to do its job (database, broker); `/api/v1/health/ready` asks each one.
public protocol ReadinessCheck: Sendable {
  var name: String { get }
  /// nil when ready, otherwise a short reason shown to the operator (no secrets).
  func problem() async -> String?
}

/// A check from a closure, for parts that are simple to probe.
public struct ClosureReadinessCheck: ReadinessCheck {
  public let name: String
  let probe: @Sendable () async -> String?
  public init(name: String, probe: @escaping @Sendable () async -> String?) {
    self.name = name
    self.probe = probe
  }
  public func problem() async -> String? { await probe() }
}
