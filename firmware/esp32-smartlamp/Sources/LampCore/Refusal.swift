/// Why the lamp refused a command on one of its own topics. Reported as `error` in a status message that is not
/// retained, so the retained status stays the last real state.
public enum Refusal: Error, Sendable, Equatable {
  /// Not parseable: bad JSON, a missing or mistyped field, a field with characters outside `[A-Za-z0-9._:-]`, or an
  /// unknown plain payload.
  case malformed
  /// The payload is longer than `Lamp.maxPayloadLength`.
  case tooLarge
  /// A signed envelope whose `deviceId` is not this lamp's.
  case wrongDevice
  /// A plain `ON`/`OFF`/`TOGGLE` to a lamp that has a secret (queries stay allowed).
  case signatureRequired
  /// A signed envelope to a lamp without a secret: it cannot check it, and the sender believes it can.
  case noSecret
  case signatureInvalid
  /// `expiresAt` has passed, or is not after `issuedAt`.
  case expired
  /// `issuedAt` lies more than the allowed clock skew in the lamp's future.
  case notYetValid
  /// `expiresAt - issuedAt` exceeds the lamp's maximum envelope lifetime.
  case lifetimeTooLong
  /// The nonce was seen, or the envelope is older than what the lamp still remembers.
  case replayed
  /// A validly signed action other than `ON`, `OFF`, `TOGGLE`.
  case unknownAction

  /// The code written into the report.
  public var code: StaticString {
    switch self {
    case .malformed: return "MALFORMED"
    case .tooLarge: return "TOO_LARGE"
    case .wrongDevice: return "WRONG_DEVICE"
    case .signatureRequired: return "SIGNATURE_REQUIRED"
    case .noSecret: return "NO_SECRET"
    case .signatureInvalid: return "SIGNATURE_INVALID"
    case .expired: return "EXPIRED"
    case .notYetValid: return "NOT_YET_VALID"
    case .lifetimeTooLong: return "LIFETIME_TOO_LONG"
    case .replayed: return "REPLAYED"
    case .unknownAction: return "UNKNOWN_ACTION"
    }
  }
}
