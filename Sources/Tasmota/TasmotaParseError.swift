/// Why a message on a Tasmota topic could not be used. Returned inside ``TasmotaMessage/malformed(_:)``, never thrown.
public struct TasmotaParseError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The kind of failure. A struct over a private enum so new kinds do not break callers' switches.
  public struct Code: Sendable, Hashable, CustomStringConvertible {
    private enum Base: String, Sendable, Hashable {
      case emptyPayload, payloadTooLarge, invalidUTF8, invalidJSON, notASwitchValue, noPowerState
      case missingField, macMismatch, wrongType, invalidValue, deviceMismatch
    }

    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// A report that needs a payload had none.
    public static let emptyPayload = Code(.emptyPayload)
    /// Larger than ``TasmotaMessage/maximumPayloadSize``; not even looked at.
    public static let payloadTooLarge = Code(.payloadTooLarge)
    public static let invalidUTF8 = Code(.invalidUTF8)
    /// The report must be JSON and is not (or is not an object).
    public static let invalidJSON = Code(.invalidJSON)
    /// A `POWER<n>` report whose payload is neither a switch value nor JSON with power keys.
    public static let notASwitchValue = Code(.notASwitchValue)
    /// A RESULT or STATE object without any power key.
    public static let noPowerState = Code(.noPowerState)
    /// A discovery config lacks a required field or has one of the wrong type.
    public static let missingField = Code(.missingField)
    /// A discovery config whose `mac` differs from the MAC in its topic (rejected, as Home Assistant does).
    public static let macMismatch = Code(.macMismatch)
    /// A known member of a native report has the wrong JSON type (a string for a number, a fraction …).
    public static let wrongType = Code(.wrongType)
    /// A known member holds a value outside its range or alphabet.
    public static let invalidValue = Code(.invalidValue)
    /// A native status whose `deviceId` is not the device of its topic.
    public static let deviceMismatch = Code(.deviceMismatch)

    public var description: String { base.rawValue }
  }

  public let code: Code
  /// A short human-readable explanation, safe to log (never contains the payload).
  public let reason: String

  public init(_ code: Code, _ reason: String) {
    self.code = code
    self.reason = reason
  }

  public var description: String { "\(code): \(reason)" }
}
