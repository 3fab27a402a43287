/// What the lamp does with its relay after a power cut.
public enum RestorePolicy: UInt8, Sendable {
  /// The state saved before the cut (OFF when nothing valid was saved).
  case last = 0
  case off = 1
  case on = 2

  /// Parses `last`, `off` or `on`.
  public init?(_ text: Span<UInt8>) {
    var word = FixedBytes<4>(text)
    guard !word.overflowed else { return nil }
    LampText.lowercase(&word)
    if word.equals("last") {
      self = .last
    } else if word.equals("off") {
      self = .off
    } else if word.equals("on") {
      self = .on
    } else {
      return nil
    }
  }
}

/// Why a configuration was refused at start.
public enum LampConfigError: Error, Sendable, Equatable {
  case deviceIdInvalid
  case secretTooLong
  case timingInvalid
}

/// Everything the lamp needs to know about itself, fixed at boot. The secret, when set, makes the lamp require
/// signed envelopes for switching commands.
public struct LampConfig: Sendable {
  public static let maxIdLength = 64
  public static let maxSecretLength = 128

  public var deviceId: FixedBytes<64>
  public var secret: FixedBytes<128>
  public var restorePolicy: RestorePolicy = .last
  /// First reconnect delay; it doubles per failed attempt up to `reconnectMaxMs`, with jitter.
  public var reconnectInitialMs: UInt32 = 1_000
  public var reconnectMaxMs: UInt32 = 60_000
  /// A connection that lasted this long counts as healthy: the next reconnect starts from the first delay again.
  public var stableConnectionMs: UInt32 = 30_000
  /// A connection attempt with no outcome after this long is treated as failed.
  public var connectTimeoutMs: UInt32 = 30_000
  /// The button level must stay unchanged this long to count.
  public var buttonDebounceMs: UInt32 = 50
  /// A signed envelope may live at most this long (expiresAt - issuedAt).
  public var maxEnvelopeLifetimeMs: UInt64 = 300_000
  /// An envelope issued further than this in the lamp's future is refused (clock disagreement).
  public var maxClockSkewMs: UInt64 = 30_000

  public init(deviceId: FixedBytes<64>, secret: FixedBytes<128> = FixedBytes()) {
    self.deviceId = deviceId
    self.secret = secret
  }

  public init(deviceId: Span<UInt8>, secret: Span<UInt8>) {
    self.init(deviceId: FixedBytes(deviceId), secret: FixedBytes(secret))
  }

  public var hasSecret: Bool { !secret.isEmpty }

  public func validate() throws(LampConfigError) {
    guard !deviceId.overflowed, LampText.isIdentifier(deviceId, minLength: 1) else { throw .deviceIdInvalid }
    guard !secret.overflowed else { throw .secretTooLong }
    guard reconnectInitialMs > 0, reconnectMaxMs >= reconnectInitialMs, reconnectMaxMs <= 3_600_000,
      buttonDebounceMs <= 10_000, connectTimeoutMs > 0, connectTimeoutMs <= 600_000,
      stableConnectionMs <= 3_600_000
    else { throw .timingInvalid }
  }
}

/// Character rules shared by ids, request ids and nonces.
public enum LampText {
  /// ASCII letters, digits and `-_.:`: nothing that is an MQTT wildcard or separator, a JSON escape or the `|` of
  /// the signature's canonical string.
  @inlinable public static func isIdentifierByte(_ byte: UInt8) -> Bool {
    switch byte {
    case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x5F, 0x2E, 0x3A: return true
    default: return false
    }
  }

  public static func isIdentifier<let capacity: Int>(_ text: borrowing FixedBytes<capacity>, minLength: Int)
    -> Bool
  {
    guard !text.overflowed, text.count >= minLength else { return false }
    for index in 0..<text.count where !isIdentifierByte(text[index]) { return false }
    return true
  }

  public static func lowercase<let capacity: Int>(_ text: inout FixedBytes<capacity>) {
    var lowered = FixedBytes<capacity>()
    for index in 0..<text.count {
      let byte = text[index]
      lowered.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
    }
    text = lowered
  }
}
