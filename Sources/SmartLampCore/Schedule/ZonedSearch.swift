import Foundation

// Maps the wall-second search onto real instants of one IANA zone (CONTRACT §9 DST rules).
//
// Real time is cut into segments of constant UTC offset at the zone's transitions. Inside a segment instants and
// wall times correspond one to one, so the search asks the wall-time matcher for the first match and checks that it
// falls before the segment ends. At a transition:
// - forward (gap): matching wall times that do not exist run once, at the transition instant (the first instant
//   after the gap);
// - backward (overlap): patterns that follow real instants search the repeated wall times again; fixed-time
//   patterns do not, so a repeated wall time runs only at its first occurrence.
struct ZonedSearch {
  /// ~10 years of wall time: enough for Feb 29 across a skipped leap year (2096 → 2104), bounded for never-matching
  /// patterns such as `0 0 30 2 *`.
  static let horizonSeconds: Int64 = 10 * 366 * 86_400
  /// Instants beyond ±~6 000 years from 1970 are refused rather than risking overflow.
  static let instantBound: Double = 190_000_000_000
  private static let maximumSegments = 512
  /// Longest plausible backward shift of a zone's clock, for finding the running maximum of the wall clock.
  private static let lookBackSeconds: Int64 = 2 * 86_400

  let zone: TimeZone

  /// The first instant strictly after `instant` at which a matching wall time fires. `match(minWall, limit)` returns
  /// the first matching wall second in `minWall...limit`.
  func next(after instant: Date, realInstants: Bool, match: (Int64, Int64) -> Int64?) -> Date? {
    let seconds = instant.timeIntervalSince1970
    guard seconds.isFinite, abs(seconds) < Self.instantBound else { return nil }
    let start = Int64(seconds.rounded(.down))
    var segmentStart = start
    var offset = self.offset(at: start)
    var minWall = start + offset + 1
    if !realInstants { minWall = max(minWall, runningMaximumWall(at: start) + 1) }
    let limit = start + offset + Self.horizonSeconds

    for _ in 0..<Self.maximumSegments {
      guard let wall = match(minWall, limit) else { return nil }
      let candidate = wall - offset
      var transition = nextTransition(after: segmentStart)
      if transition.map({ candidate < $0 }) ?? true {
        if self.offset(at: candidate) == offset { return date(candidate) }
        // An offset change the transition API did not report.
        transition = changePoint(after: segmentStart, through: candidate, from: offset)
      }
      guard let transition else { return nil }
      let newOffset = self.offset(at: transition)
      if newOffset > offset, wall < transition + newOffset {
        return date(transition)
      }
      minWall =
        realInstants
        ? transition + newOffset
        : max(minWall, transition + offset, transition + newOffset)
      offset = newOffset
      segmentStart = transition
    }
    return nil
  }

  func offset(at instant: Int64) -> Int64 {
    Int64(zone.secondsFromGMT(for: date(instant)))
  }

  private func date(_ instant: Int64) -> Date {
    Date(timeIntervalSince1970: Double(instant))
  }

  private func nextTransition(after instant: Int64) -> Int64? {
    guard let next = zone.nextDaylightSavingTimeTransition(after: date(instant)) else { return nil }
    let value = next.timeIntervalSince1970
    guard value.isFinite, abs(value) < Self.instantBound * 2 else { return nil }
    let transition = Int64(value.rounded(.up))
    return transition > instant ? transition : nil
  }

  /// The first instant in `(low, high]` whose offset is not `offset`, assuming one change in between.
  private func changePoint(after low: Int64, through high: Int64, from offset: Int64) -> Int64 {
    var before = low
    var after = high
    while after - before > 1 {
      let middle = before + (after - before) / 2
      if self.offset(at: middle) == offset { before = middle } else { after = middle }
    }
    return after
  }

  /// The latest wall second shown by the clock at or before `instant`; larger than the current wall time during
  /// the second pass of a fall-back overlap.
  private func runningMaximumWall(at instant: Int64) -> Int64 {
    var maximum = instant + offset(at: instant)
    var cursor = instant - Self.lookBackSeconds
    for _ in 0..<16 {
      guard let transition = nextTransition(after: cursor), transition <= instant else { break }
      maximum = max(maximum, transition - 1 + offset(at: transition - 1))
      cursor = transition
    }
    return maximum
  }
}

extension CronExpression {
  /// The first instant strictly after `instant` whose wall time in `zone` matches, with the DST rules of
  /// CONTRACT §9 (see ``followsRealInstants``); nil when nothing matches within about ten years.
  public func nextOccurrence(after instant: Date, in zone: TimeZone) -> Date? {
    ZonedSearch(zone: zone).next(after: instant, realInstants: followsRealInstants) { minWall, limit in
      firstWallMatch(atOrAfter: minWall, notAfter: limit, window: nil)
    }
  }
}
