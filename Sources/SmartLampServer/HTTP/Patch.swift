/// One optional body member of a PATCH that may also be `null`: absent keeps the stored value, `null` clears it,
/// a value sets it. The one tri-state of the API.
enum Patch<Value: Sendable & Equatable>: Sendable, Equatable {
  case keep
  case clear
  case set(Value)

  func applied(to current: Value?) -> Value? {
    switch self {
    case .keep: current
    case .clear: nil
    case .set(let value): value
    }
  }

  /// The new value when one was given (neither kept nor cleared).
  var value: Value? {
    if case .set(let value) = self { return value }
    return nil
  }

  var isKeep: Bool { self == .keep }
}
