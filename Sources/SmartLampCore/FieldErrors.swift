/// Accumulates validation messages per request-body field, rendered as `details.fieldErrors {field: [message]}`.
public struct FieldErrors: Error, Sendable, Equatable {
  public private(set) var errors: [String: [String]] = [:]

  public init() {}

  public var isEmpty: Bool { errors.isEmpty }

  public mutating func add(_ field: String, _ message: String) {
    errors[field, default: []].append(message)
  }

  public func messages(for field: String) -> [String] { errors[field] ?? [] }

  /// Throws `self` when any error was recorded.
  public func throwIfAny() throws(FieldErrors) {
    if !isEmpty { throw self }
  }
}
