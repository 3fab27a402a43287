/// How often one realtime stream writes while events keep coming (issue #10: 1 000 administrators' streams at 100
/// commands/s were 300 000 writes a second, one per frame per stream, and the server could not keep up). A stream
/// may write `burst` times in a row at once; past that, at most once per `interval`, and what arrives meanwhile goes
/// out in the same write. A stream that gets an event now and then (a household's lamps, the fan-out rounds) never
/// waits. The generic cell rate algorithm: `due` is when the next write would be on time at one per interval.
struct RealtimeWritePacer: Sendable {
  let interval: Duration
  let burst: Int
  private var due: ContinuousClock.Instant?

  init(interval: Duration, burst: Int) {
    self.interval = interval
    self.burst = max(1, burst)
  }

  /// The earliest time the next write may start; nil: at once.
  var notBefore: ContinuousClock.Instant? { due.map { $0 - interval * (burst - 1) } }

  /// Records a write started at `now`. Full batches go out without waiting for the pace (RealtimeMailbox): their
  /// writes count, but never put the next write more than one interval away.
  mutating func wrote(at now: ContinuousClock.Instant) {
    due = min(max(due ?? now, now) + interval, now + interval * burst)
  }
}
