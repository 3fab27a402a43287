/// Turns raw button samples into presses: a level counts once it has stayed unchanged for the debounce time
/// (measured wrap-safe). The first sample only sets the starting level, so a button held during boot does not
/// toggle the lamp.
public struct ButtonDebouncer: Sendable {
  public let debounceMs: UInt32
  var primed = false
  var stable = false
  var raw = false
  var rawSince: UInt32 = 0

  public init(debounceMs: UInt32) { self.debounceMs = debounceMs }

  public var isPressed: Bool { stable }

  /// Feeds one sample; returns true exactly when a debounced press (released → pressed) completes.
  public mutating func sample(pressed: Bool, at now: LampTime) -> Bool {
    guard primed else {
      primed = true
      stable = pressed
      raw = pressed
      rawSince = now.monotonicMs
      return false
    }
    if pressed != raw {
      raw = pressed
      rawSince = now.monotonicMs
    }
    return settle(at: now)
  }

  /// Re-checks the last sample against the clock (for ticks between samples).
  public mutating func settle(at now: LampTime) -> Bool {
    guard primed, raw != stable, now.elapsed(since: rawSince) >= debounceMs else { return false }
    stable = raw
    return stable
  }
}
