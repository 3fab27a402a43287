import SmartLampStore

/// The server's time, as a dependency: a monotonic clock to wait on (acknowledgement deadlines, the scheduler's
/// next slot) and the wall time it corresponds to (epoch milliseconds for rows and schedule slots). The standard
/// one is the machine's; a test passes a `MockClock` whose wall time moves only with it.
///
/// Type-erased so that services keep one concrete type (`CommandLedger<ServerClock>`) whichever clock is given.
public struct ServerClock: Clock {
  public struct Instant: InstantProtocol, CustomStringConvertible {
    /// Time since the clock was made.
    public var offset: Duration

    public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
    public func duration(to other: Instant) -> Duration { other.offset - offset }
    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    public var description: String { "T+\(offset)" }
  }

  private let elapsed: @Sendable () -> Duration
  private let sleeper: @Sendable (_ offset: Duration, _ tolerance: Duration?) async throws -> Void
  private let wallMillis: @Sendable () -> Int64
  public let minimumResolution: Duration

  /// Waits on `clock` and reads the wall time from `epochMilliseconds`.
  public init<C: Clock>(_ clock: C, epochMilliseconds: @escaping @Sendable () -> Int64) where C.Duration == Duration {
    let start = clock.now
    elapsed = { start.duration(to: clock.now) }
    sleeper = { offset, tolerance in try await clock.sleep(until: start.advanced(by: offset), tolerance: tolerance) }
    wallMillis = epochMilliseconds
    minimumResolution = clock.minimumResolution
  }

  /// Waits on `clock`, whose start is the wall time `epochMilliseconds` (tests: wall time moves only with it).
  public init<C: Clock>(_ clock: C, startingAt epochMilliseconds: Int64) where C.Duration == Duration {
    let start = clock.now
    self.init(clock) { epochMilliseconds + start.duration(to: clock.now).wholeMilliseconds }
  }

  /// The machine's clocks: `ContinuousClock` to wait on, the system time for dates.
  public static let system = ServerClock(ContinuousClock()) { Timestamp.nowMillis() }

  public var now: Instant { Instant(offset: elapsed()) }

  public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
    try await sleeper(deadline.offset, tolerance)
  }

  /// The wall time now, in epoch milliseconds.
  public func epochMilliseconds() -> Int64 { wallMillis() }
}
