import LampCore
import Testing

/// The 32-bit millisecond counter wraps after 2^32 ms = 49.7 days. Every duration the lamp measures must come out
/// right when its start lies before the wrap and its end after it (the archived firmware's 32-bit timestamps broke
/// there).
@Suite struct WrapAroundTests {
  static let nearWrap: UInt32 = UInt32.max - 20  // 21 ms before the counter returns to 0

  @Test func debounceAcrossTheWrap() {
    var h = Harness(start: Self.nearWrap)
    h.boot()
    h.button(false)
    h.advance(1)
    h.button(true)  // pressed 20 ms before the wrap
    h.advance(40)  // now 20 ms after the wrap: 40 ms held, below 50
    h.button(true)
    #expect(h.lamp.stats.presses == 0)
    h.advance(10)
    h.button(true)
    #expect(h.lamp.stats.presses == 1)
    #expect(h.clock.monotonicMs < 100, "the counter did wrap")
  }

  @Test func reconnectWaitAcrossTheWrap() {
    var h = Harness(start: Self.nearWrap)
    h.bootConnected()
    h.disconnected()
    guard case .scheduleReconnect(let delay) = h.effects.take().first else {
      Issue.record("no reconnect scheduled")
      return
    }
    #expect(delay >= 500)
    h.advance(delay - 1)
    h.tick()
    #expect(h.effects.take().isEmpty, "a naive `now >= start + delay` would fire at once or never here")
    h.advance(1)
    h.tick()
    #expect(h.effects.take() == [.connect])
  }

  @Test func connectTimeoutAcrossTheWrap() {
    var h = Harness(start: Self.nearWrap) { $0.connectTimeoutMs = 1_000 }
    h.boot()
    h.tick()
    _ = h.effects.take()
    h.advance(999)
    h.tick()
    #expect(h.effects.take().isEmpty)
    h.advance(1)
    h.tick()
    #expect(h.effects.take().count == 1)
  }

  @Test func fiftyDaysConnectedThenADropReconnectsNormally() {
    var h = Harness(start: 0) { $0.stableConnectionMs = 30_000 }
    h.bootConnected()
    let minute: UInt32 = 60_000
    let fiftyDays = 50 * 24 * 60
    for _ in 0..<fiftyDays {
      h.advance(minute)
      h.tick()
    }
    #expect(h.effects.actions.isEmpty, "no spurious reconnect or press in 50 days")
    #expect(h.lamp.isConnected)
    // The connection lasted longer than the counter's range; it still counts as stable.
    h.disconnected()
    #expect(h.lamp.reconnectAttempt == 1)
    guard case .scheduleReconnect(let delay) = h.effects.take().first else {
      Issue.record("no reconnect scheduled")
      return
    }
    #expect(delay <= 1_000)
    h.advance(delay)
    h.tick()
    #expect(h.effects.take() == [.connect])
  }

  @Test func signedEnvelopeTimesAre64BitMilliseconds() {
    // 13-digit epoch milliseconds beyond 2^32: the archived firmware read these as 0 and refused everything.
    let issued: UInt64 = 1_764_831_599_000
    #expect(issued > UInt64(UInt32.max))
    var h = Harness(secret: "k", start: Self.nearWrap)
    h.bootConnected()
    h.send(
      "cmnd/lampu-teras/POWER", signedEnvelope(requestId: "r", nonce: "nonce-wrap-1", issuedAt: issued, secret: "k"))
    #expect(h.lamp.power == true)
  }
}
