/// A small deterministic random source (SplitMix64), seeded by the platform (hardware RNG on the device), so the
/// jitter differs between lamps and the tests can pin it.
public struct SplitMix64: Sendable {
  var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z &>> 31)
  }

  /// A value in `0...upper`.
  public mutating func next(upTo upper: UInt32) -> UInt32 {
    UInt32(truncatingIfNeeded: next() % (UInt64(upper) + 1))
  }
}

/// Exponential reconnect backoff with "equal jitter": attempt n waits between half and all of
/// `min(max, initial * 2^n)`, so lamps that lost the broker together do not return together, and no wait is zero.
public struct ReconnectBackoff: Sendable {
  public let initialMs: UInt32
  public let maxMs: UInt32
  public private(set) var attempt: UInt32 = 0
  var random: SplitMix64

  public init(initialMs: UInt32, maxMs: UInt32, seed: UInt64) {
    self.initialMs = initialMs
    self.maxMs = maxMs
    self.random = SplitMix64(seed: seed)
  }

  /// The ceiling of the next wait, before jitter.
  public var nextCeilingMs: UInt32 {
    var ceiling = UInt64(initialMs)
    var doublings = attempt
    while doublings > 0 && ceiling < UInt64(maxMs) {
      ceiling *= 2
      doublings -= 1
    }
    return UInt32(min(ceiling, UInt64(maxMs)))
  }

  /// The next wait, and one more attempt counted.
  public mutating func nextDelayMs() -> UInt32 {
    let ceiling = nextCeilingMs
    let half = ceiling / 2
    if attempt < 32 { attempt += 1 }
    return half + random.next(upTo: ceiling - half)
  }

  public mutating func reset() { attempt = 0 }
}
