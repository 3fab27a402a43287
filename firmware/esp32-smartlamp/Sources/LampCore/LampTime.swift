/// The two clocks the lamp sees at an event: a 32-bit millisecond counter that wraps every 49.7 days (the device's
/// uptime timer truncated) and the wall clock from NTP, which may not be set. Durations only ever use the counter,
/// through wrapping subtraction, so they stay correct across the wrap as long as each measured span is shorter than
/// 24.8 days (every span the lamp measures is at most minutes).
public struct LampTime: Sendable, Equatable {
  /// Milliseconds from an arbitrary origin, wrapping at 2^32.
  public var monotonicMs: UInt32
  /// Milliseconds since 1970-01-01 UTC, or 0 while the clock is not set.
  public var wallMs: UInt64

  public init(monotonicMs: UInt32, wallMs: UInt64 = 0) {
    self.monotonicMs = monotonicMs
    self.wallMs = wallMs
  }

  public var wallClockKnown: Bool { wallMs != 0 }

  /// Milliseconds from `start` to this instant, correct across the 32-bit wrap.
  @inlinable public func elapsed(since start: UInt32) -> UInt32 {
    monotonicMs &- start
  }
}
