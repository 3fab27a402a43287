import SmartLampStore
import Tasmota
import TestSupport
import Testing

@testable import SmartLampServer

/// The command ledger on its own: every order in which a command's events can arrive, on a mock clock, without
/// sockets or sleeps.
@Suite struct CommandLedgerTests {
  typealias Ledger = CommandLedger<MockClock>

  /// An action as the tests compare it (continuations are not comparable; their count is).
  enum Step: Equatable, CustomStringConvertible {
    case published(String)
    case announced(String, CommandOutcome)
    case record(Int64, CommandOutcome)
    case resume(Int, CommandOutcome)
    case arm(Duration)
    case decided(CommandOutcome)

    var description: String {
      switch self {
      case .published(let id): "PUBLISHED \(id)"
      case .announced(let id, let outcome): "announce \(id) \(outcome)"
      case .record(let row, let outcome): "record row \(row) \(outcome)"
      case .resume(let count, let outcome): "resume \(count) \(outcome)"
      case .arm(let at): "arm \(at)"
      case .decided(let outcome): "decided \(outcome)"
      }
    }
  }

  static func steps(_ actions: [Ledger.Action]) -> [Step] {
    actions.map { action in
      switch action {
      case .announce(let command, nil): .published(command.requestId)
      case .announce(let command, let outcome?): .announced(command.requestId, outcome)
      case .record(let row, let outcome): .record(row, outcome)
      case .resume(let waiters, let outcome): .resume(waiters.count, outcome)
      case .armTimer(let at): .arm(at.offset)
      case .decided(let outcome): .decided(outcome)
      }
    }
  }

  static func command(
    _ requestId: String, lamp: String = "lamp", relay: Int = 1, expected: TasmotaPower = .on,
    wire: String? = nil
  ) -> Ledger.Command {
    Ledger.Command(
      requestId: requestId, deviceInternalId: 1, deviceId: "d", action: expected == .on ? "ON" : "OFF",
      mqttKey: lamp, relay: relay, expected: expected, wireRequestID: wire, issuedAt: 0)
  }

  @Test func ackAfterTheRowIsAnnouncedAfterPublishedAndRecorded() {
    let clock = MockClock()
    var ledger = Ledger(timeout: .seconds(5))
    let (token, armed) = ledger.register(Self.command("r1"), awaited: false, now: clock.now)
    #expect(Self.steps(armed) == [.arm(.seconds(5))])
    #expect(ledger.published(token) == nil)
    #expect(Self.steps(ledger.rowWritten(token, rowID: 7, recorded: nil)) == [.published("r1")])
    clock.advance(by: .milliseconds(120))
    let (acknowledged, actions) = ledger.deviceReported(
      mqttKey: "lamp", relay: 1, power: .on, at: 1_000, now: clock.now)
    let acked = CommandOutcome.acked(at: 1_000, latencyMs: 120)
    #expect(acknowledged)
    #expect(Self.steps(actions) == [.decided(acked), .announced("r1", acked), .record(7, acked)])
    #expect(ledger.count == 0, "settled commands are forgotten")
  }

  @Test func ackBeforeTheRowWaitsForIt() {
    let clock = MockClock()
    var ledger = Ledger(timeout: .seconds(5))
    let (token, _) = ledger.register(Self.command("r1"), awaited: false, now: clock.now)
    let (_, actions) = ledger.deviceReported(mqttKey: "lamp", relay: 1, power: .on, at: 5, now: clock.now)
    let acked = CommandOutcome.acked(at: 5, latencyMs: 0)
    // Nothing is announced or recorded before the row exists.
    #expect(Self.steps(actions) == [.decided(acked)])
    // The row is written with the outcome already known: PUBLISHED, then ACKED, and no update.
    #expect(ledger.published(token) == acked)
    #expect(
      Self.steps(ledger.rowWritten(token, rowID: 3, recorded: acked)) == [.published("r1"), .announced("r1", acked)])
    #expect(ledger.count == 0)
  }

  @Test func ackBetweenPublishAndRowIsRecordedOnceTheRowExists() {
    let clock = MockClock()
    var ledger = Ledger(timeout: .seconds(5))
    let (token, _) = ledger.register(Self.command("r1"), awaited: false, now: clock.now)
    let recorded = ledger.published(token)
    _ = ledger.deviceReported(mqttKey: "lamp", relay: 1, power: .on, at: 5, now: clock.now)
    let acked = CommandOutcome.acked(at: 5, latencyMs: 0)
    #expect(
      Self.steps(ledger.rowWritten(token, rowID: 3, recorded: recorded))
        == [.published("r1"), .announced("r1", acked), .record(3, acked)])
  }

  @Test func aFailedRowIsNeverAnnounced() {
    let clock = MockClock()
    var ledger = Ledger(timeout: .seconds(5))
    let (token, _) = ledger.register(Self.command("r1"), awaited: false, now: clock.now)
    ledger.rowFailed(token)
    let (acknowledged, actions) = ledger.deviceReported(mqttKey: "lamp", relay: 1, power: .on, at: 5, now: clock.now)
    #expect(acknowledged)
    #expect(Self.steps(actions) == [.decided(.acked(at: 5, latencyMs: 0))])
    #expect(Self.steps(ledger.rowWritten(token, rowID: 3, recorded: nil)) == [], "a failed row stays failed")
    #expect(ledger.count == 0)
  }

  @Test func aFailedPublishResumesWaitersAsTimedOutAndIsForgotten() async {
    let clock = MockClock()
    var ledger = Ledger(timeout: .seconds(5))
    let (token, _) = ledger.register(Self.command("r1"), awaited: true, now: clock.now)
    let outcome = await withCheckedContinuation { continuation in
      #expect(ledger.awaitOutcome(token, continuation).isEmpty)
      for case .resume(let waiters, let outcome) in ledger.publishFailed(token) {
        for waiter in waiters { waiter.resume(returning: outcome) }
      }
    }
    #expect(outcome == .timeout)
    #expect(ledger.count == 0)
    let (acknowledged, _) = ledger.deviceReported(mqttKey: "lamp", relay: 1, power: .on, at: 5, now: clock.now)
    #expect(!acknowledged)
  }

  @Test func timeoutWinsOverALateAck() {
    let clock = MockClock()
    var ledger = Ledger(timeout: .seconds(5))
    let (token, _) = ledger.register(Self.command("r1"), awaited: false, now: clock.now)
    _ = ledger.rowWritten(token, rowID: 9, recorded: nil)
    clock.advance(by: .milliseconds(4_999))
    #expect(Self.steps(ledger.tick(now: clock.now)) == [.arm(.seconds(5))], "not yet due: re-armed")
    clock.advance(by: .milliseconds(1))
    #expect(
      Self.steps(ledger.tick(now: clock.now))
        == [.decided(.timeout), .announced("r1", .timeout), .record(9, .timeout)])
    let (acknowledged, late) = ledger.deviceReported(mqttKey: "lamp", relay: 1, power: .on, at: 9, now: clock.now)
    #expect(!acknowledged && late.isEmpty)
    #expect(Self.steps(ledger.tick(now: clock.now)) == [], "nothing pending: the timer is not armed")
  }

  @Test func anAckAtTheDeadlineIsTooLate() {
    let clock = MockClock()
    var ledger = Ledger(timeout: .seconds(5))
    let (token, _) = ledger.register(Self.command("r1"), awaited: false, now: clock.now)
    clock.advance(by: .seconds(5))
    let (acknowledged, _) = ledger.deviceReported(mqttKey: "lamp", relay: 1, power: .on, at: 9, now: clock.now)
    #expect(!acknowledged)
    #expect(Self.steps(ledger.tick(now: clock.now)) == [.decided(.timeout)])
    #expect(ledger.outcome(of: token) == .timeout)
  }

  @Test func onlyTheRequestedStateOnTheRightRelayAcknowledges() {
    let clock = MockClock()
    var ledger = Ledger(timeout: .seconds(5))
    let (token, _) = ledger.register(Self.command("r1", relay: 2), awaited: false, now: clock.now)
    for (lamp, relay, power) in [("lamp", 1, TasmotaPower.on), ("lamp", 2, .off), ("other", 2, .on)] {
      #expect(!ledger.deviceReported(mqttKey: lamp, relay: relay, power: power, at: 1, now: clock.now).acknowledged)
    }
    #expect(ledger.awaits(mqttKey: "lamp", relay: 2, power: .on))
    #expect(!ledger.awaits(mqttKey: "lamp", relay: 2, power: .off))
    #expect(ledger.deviceReported(mqttKey: "lamp", relay: 2, power: .on, at: 4, now: clock.now).acknowledged)
    #expect(ledger.outcome(of: token) == .acked(at: 4, latencyMs: 0))
    #expect(!ledger.awaits(mqttKey: "lamp", relay: 2, power: .on))
  }

  @Test func signedCommandsAreMatchedByRequestIdOnly() {
    let clock = MockClock()
    var ledger = Ledger(timeout: .seconds(5))
    let (signed, _) = ledger.register(Self.command("s", wire: "req-1"), awaited: false, now: clock.now)
    let (plain, _) = ledger.register(Self.command("p"), awaited: false, now: clock.now)
    // The reported power acknowledges the plain command only.
    #expect(ledger.deviceReported(mqttKey: "lamp", relay: 1, power: .on, at: 1, now: clock.now).acknowledged)
    #expect(ledger.outcome(of: plain) != nil)
    #expect(ledger.outcome(of: signed) == nil)
    #expect(ledger.deviceAcknowledged(mqttKey: "other", wireRequestID: "req-1", at: 2, now: clock.now).isEmpty)
    #expect(ledger.deviceAcknowledged(mqttKey: "lamp", wireRequestID: "req-2", at: 2, now: clock.now).isEmpty)
    #expect(ledger.outcome(of: signed) == nil, "another lamp's or another command's id")
    clock.advance(by: .milliseconds(40))
    let acked = CommandOutcome.acked(at: 3, latencyMs: 40)
    #expect(
      Self.steps(ledger.deviceAcknowledged(mqttKey: "lamp", wireRequestID: "req-1", at: 3, now: clock.now))
        == [.decided(acked)])
    #expect(ledger.outcome(of: signed) == acked)
  }

  @Test func refusalsFailTheCommandTheyName() {
    let clock = MockClock()
    var ledger = Ledger(timeout: .seconds(5))
    let (refused, _) = ledger.register(Self.command("s", expected: .off, wire: "req-3"), awaited: false, now: clock.now)
    #expect(
      Self.steps(ledger.deviceRefused(mqttKey: "lamp", wireRequestID: "req-3", code: "REPLAYED", now: clock.now))
        == [.decided(.refused(code: "REPLAYED"))])
    #expect(ledger.deviceAcknowledged(mqttKey: "lamp", wireRequestID: "req-3", at: 4, now: clock.now).isEmpty)
    #expect(ledger.outcome(of: refused) == .refused(code: "REPLAYED"), "an outcome is final")
    #expect(CommandOutcome.refused(code: "REPLAYED").status == .failed)
    #expect(CommandOutcome.refused(code: "REPLAYED").error == "REPLAYED")
  }

  @Test func aRefusalWithoutRequestIdFailsThePlainCommandsOnThatLamp() {
    let clock = MockClock()
    var ledger = Ledger(timeout: .seconds(5))
    let (plain, _) = ledger.register(Self.command("p"), awaited: false, now: clock.now)
    let (signed, _) = ledger.register(Self.command("s", wire: "req-4"), awaited: false, now: clock.now)
    let (elsewhere, _) = ledger.register(Self.command("e", lamp: "other"), awaited: false, now: clock.now)
    let actions = ledger.deviceRefused(mqttKey: "lamp", wireRequestID: nil, code: "SIGNATURE_REQUIRED", now: clock.now)
    #expect(Self.steps(actions) == [.decided(.refused(code: "SIGNATURE_REQUIRED"))])
    #expect(ledger.outcome(of: plain) == .refused(code: "SIGNATURE_REQUIRED"))
    #expect(ledger.outcome(of: signed) == nil, "a signed command is not what the lamp refused")
    #expect(ledger.outcome(of: elsewhere) == nil)
  }

  @Test func aWaiterGetsTheOutcomeWhenItComesOrAtOnce() async {
    let clock = MockClock()
    var ledger = Ledger(timeout: .seconds(5))
    let (first, _) = ledger.register(Self.command("r1"), awaited: true, now: clock.now)
    _ = ledger.rowWritten(first, rowID: 1, recorded: nil)
    let now = clock.now
    let outcome = await withCheckedContinuation { continuation in
      #expect(ledger.awaitOutcome(first, continuation).isEmpty)
      let (_, actions) = ledger.deviceReported(mqttKey: "lamp", relay: 1, power: .on, at: 8, now: now)
      #expect(
        Self.steps(actions)
          == [
            .decided(.acked(at: 8, latencyMs: 0)), .resume(1, .acked(at: 8, latencyMs: 0)),
            .announced("r1", .acked(at: 8, latencyMs: 0)), .record(1, .acked(at: 8, latencyMs: 0)),
          ])
      for case .resume(let waiters, let outcome) in actions {
        for waiter in waiters { waiter.resume(returning: outcome) }
      }
    }
    #expect(outcome == .acked(at: 8, latencyMs: 0))
    #expect(ledger.count == 0)

    // Decided and written before anyone asked: the entry waits for its waiter, who gets the outcome at once.
    let (second, _) = ledger.register(Self.command("r2", expected: .off), awaited: true, now: now)
    _ = ledger.deviceReported(mqttKey: "lamp", relay: 1, power: .off, at: 9, now: now)
    _ = ledger.rowWritten(second, rowID: 2, recorded: nil)
    #expect(ledger.count == 1)
    let late = await withCheckedContinuation { continuation in
      for case .resume(let waiters, let outcome) in ledger.awaitOutcome(second, continuation) {
        for waiter in waiters { waiter.resume(returning: outcome) }
      }
    }
    #expect(late == .acked(at: 9, latencyMs: 0))
    #expect(ledger.count == 0)
  }

  @Test func theTimerIsArmedOnceAndReArmedForTheNextDeadline() {
    let clock = MockClock()
    var ledger = Ledger(timeout: .seconds(5))
    #expect(
      Self.steps(ledger.register(Self.command("a"), awaited: false, now: clock.now).actions) == [.arm(.seconds(5))])
    clock.advance(by: .seconds(2))
    #expect(ledger.register(Self.command("b"), awaited: false, now: clock.now).actions.isEmpty, "already armed earlier")
    clock.advance(by: .seconds(3))
    #expect(Self.steps(ledger.tick(now: clock.now)) == [.decided(.timeout), .arm(.seconds(7))])
    clock.advance(by: .seconds(2))
    #expect(Self.steps(ledger.tick(now: clock.now)) == [.decided(.timeout)])
    #expect(
      Self.steps(ledger.register(Self.command("c"), awaited: false, now: clock.now).actions) == [.arm(.seconds(12))])
  }

  @Test func aCommandWhoseRowIsNeverSettledIsForgottenLater() {
    let clock = MockClock()
    var ledger = Ledger(timeout: .seconds(5))
    _ = ledger.register(Self.command("r1"), awaited: false, now: clock.now)
    clock.advance(by: .seconds(5))
    _ = ledger.tick(now: clock.now)
    #expect(ledger.count == 1, "kept for its row")
    clock.advance(by: .seconds(21))
    _ = ledger.tick(now: clock.now)
    #expect(ledger.count == 0)
  }

  /// A row the database could not take yet (disk full) keeps its command, outcome included, past the time a
  /// never-settled one is forgotten; once written it is announced and, if the outcome came after it, recorded.
  @Test func aDeferredRowKeepsItsCommandUntilItIsWritten() {
    let clock = MockClock()
    var ledger = Ledger(timeout: .seconds(5))
    let (token, _) = ledger.register(Self.command("r1"), awaited: false, now: clock.now)
    ledger.rowDeferred(token)
    clock.advance(by: .milliseconds(30))
    let acked = CommandOutcome.acked(at: 9, latencyMs: 30)
    let (_, actions) = ledger.deviceReported(mqttKey: "lamp", relay: 1, power: .on, at: 9, now: clock.now)
    #expect(Self.steps(actions) == [.decided(acked)], "nothing announced or recorded without the row")
    clock.advance(by: .seconds(60))
    _ = ledger.tick(now: clock.now)
    #expect(ledger.count == 1, "kept until its row is written")
    #expect(ledger.deferredCount == 1)
    #expect(ledger.outcome(of: token) == acked)
    #expect(
      Self.steps(ledger.rowWritten(token, rowID: 3, recorded: acked)) == [.published("r1"), .announced("r1", acked)])
    #expect(ledger.count == 0)
  }
}
