import Synchronization
import Tasmota

/// Matches device reports to published commands (CONTRACT §7): a command is acknowledged when a report for its
/// relay equal to the requested state arrives within the timeout, else it times out. A signed command (one with a
/// request id on the wire) is acknowledged only by a native status echoing that id, and fails when the lamp's
/// refusal report names it. Outcomes are delivered once, to the ``onOutcome`` handler and to anyone waiting.
final class AckTracker: Sendable {
  enum Outcome: Sendable, Hashable {
    case acked(at: Int64, latencyMs: Int64)
    case timeout
    /// The lamp refused the command; `code` is its error (`SIGNATURE_INVALID`, `EXPIRED`, …).
    case refused(code: String)
  }

  struct Pending: Sendable {
    let token: Int
    let mqttKey: String
    let relay: Int
    let expected: TasmotaPower
    /// The envelope's request id for a signed command; nil for a plain one (acknowledged by the reported power).
    let wireRequestID: String?
    let startedAt: ContinuousClock.Instant
    let deadline: ContinuousClock.Instant
    let context: CommandContext
  }

  /// What the outcome handler needs to record an outcome (the log row may not exist yet; see CommandService).
  struct CommandContext: Sendable {
    let requestId: String
    let deviceInternalId: Int64
    let deviceId: String
    let action: String
  }

  fileprivate struct State {
    var nextToken = 0
    var pending: [Int: Pending] = [:]
    /// Tokens by device and relay, oldest first.
    var index: [String: [Int]] = [:]
    var waiters: [Int: [CheckedContinuation<Outcome, Never>]] = [:]
    var finished: [Int: (outcome: Outcome, at: ContinuousClock.Instant)] = [:]
  }

  private let state = Mutex(State())
  let timeout: Duration
  private let onOutcome: @Sendable (Pending, Outcome) -> Void

  init(timeout: Duration, onOutcome: @escaping @Sendable (Pending, Outcome) -> Void) {
    self.timeout = timeout
    self.onOutcome = onOutcome
  }

  /// Starts tracking a command before it is published (a fast device may answer before PUBACK arrives).
  func register(
    mqttKey: String, relay: Int, expected: TasmotaPower, wireRequestID: String? = nil, context: CommandContext
  ) -> Int {
    let now = ContinuousClock.now
    return state.withLock { state in
      state.nextToken += 1
      let token = state.nextToken
      state.pending[token] = Pending(
        token: token, mqttKey: mqttKey, relay: relay, expected: expected, wireRequestID: wireRequestID,
        startedAt: now, deadline: now.advanced(by: timeout), context: context)
      state.index[Self.key(mqttKey, relay), default: []].append(token)
      return token
    }
  }

  /// Forgets a command whose publish failed; nothing is reported for it.
  func cancel(_ token: Int) {
    let waiters = state.withLock { state -> [CheckedContinuation<Outcome, Never>] in
      guard let pending = state.pending.removeValue(forKey: token) else { return [] }
      state.unindex(pending)
      return state.waiters.removeValue(forKey: token) ?? []
    }
    for waiter in waiters { waiter.resume(returning: .timeout) }
  }

  /// A device reported `power` on `relay`: acknowledges every pending command on it that asked for that state.
  /// Returns whether it acknowledged any (a change no command explains is device-side history).
  @discardableResult
  func report(mqttKey: String, relay: Int, power: TasmotaPower, at millis: Int64) -> Bool {
    let now = ContinuousClock.now
    let resolved = state.withLock { state -> [(Pending, Outcome, [CheckedContinuation<Outcome, Never>])] in
      let key = Self.key(mqttKey, relay)
      guard let tokens = state.index[key] else { return [] }
      var resolved: [(Pending, Outcome, [CheckedContinuation<Outcome, Never>])] = []
      for token in tokens {
        guard let pending = state.pending[token], pending.wireRequestID == nil, pending.expected == power,
          now <= pending.deadline
        else { continue }
        let latency = pending.startedAt.duration(to: now)
        let outcome = Outcome.acked(at: millis, latencyMs: Self.milliseconds(latency))
        resolved.append((pending, outcome, state.finish(pending, outcome)))
      }
      return resolved
    }
    deliver(resolved)
    return !resolved.isEmpty
  }

  /// Whether a command still waits for `power` on `relay` (a report that does not acknowledge, such as telemetry,
  /// may show the change first).
  func awaits(mqttKey: String, relay: Int, power: TasmotaPower) -> Bool {
    state.withLock { state in
      (state.index[Self.key(mqttKey, relay)] ?? []).contains { state.pending[$0]?.expected == power }
    }
  }

  /// A native lamp accepted the signed command `requestID` (its status echoes the id): acknowledges it.
  func acknowledge(mqttKey: String, requestID: String, at millis: Int64) {
    let now = ContinuousClock.now
    resolve(mqttKey: mqttKey, requestID: requestID, now: now) { pending in
      .acked(at: millis, latencyMs: Self.milliseconds(pending.startedAt.duration(to: now)))
    }
  }

  /// A native lamp refused the signed command `requestID` with `code`: the command fails with that code.
  func refuse(mqttKey: String, requestID: String, code: String) {
    resolve(mqttKey: mqttKey, requestID: requestID, now: .now) { _ in .refused(code: code) }
  }

  /// A native lamp refused a plain command because it takes only signed ones (`SIGNATURE_REQUIRED`, which names
  /// no request): every plain command pending on it would meet the same refusal, so they fail with that code now
  /// instead of timing out.
  func refusePlain(mqttKey: String, code: String) {
    resolve(mqttKey: mqttKey, requestID: nil, now: .now) { _ in .refused(code: code) }
  }

  private func resolve(
    mqttKey: String, requestID: String?, now: ContinuousClock.Instant, _ outcome: (Pending) -> Outcome
  ) {
    let resolved = state.withLock { state -> [(Pending, Outcome, [CheckedContinuation<Outcome, Never>])] in
      // A lamp has one relay in this profile; its commands are few, so a scan of the pending ones is enough.
      let matching = state.pending.values.filter {
        $0.mqttKey == mqttKey && $0.wireRequestID == requestID && now <= $0.deadline
      }
      return matching.sorted { $0.token < $1.token }.map { pending in
        let result = outcome(pending)
        return (pending, result, state.finish(pending, result))
      }
    }
    deliver(resolved)
  }

  /// Times out every command past its deadline; returns the next deadline, if any.
  @discardableResult
  func expire(now: ContinuousClock.Instant = .now) -> ContinuousClock.Instant? {
    let (resolved, next) = state.withLock {
      state -> ([(Pending, Outcome, [CheckedContinuation<Outcome, Never>])], ContinuousClock.Instant?) in
      var resolved: [(Pending, Outcome, [CheckedContinuation<Outcome, Never>])] = []
      for pending in state.pending.values where pending.deadline < now {
        resolved.append((pending, .timeout, state.finish(pending, .timeout)))
      }
      // Outcomes are kept a while for late readers (the insert of the log row, waitForAck), then forgotten.
      let horizon = now.advanced(by: .zero - (timeout * 2 + .seconds(10)))
      state.finished = state.finished.filter { $0.value.at > horizon }
      return (resolved, state.pending.values.map(\.deadline).min())
    }
    deliver(resolved)
    return next
  }

  /// Waits for the outcome of a registered command (at most its deadline plus a little for the sweeper).
  func outcome(of token: Int) async -> Outcome {
    await withCheckedContinuation { continuation in
      let done = state.withLock { state -> Outcome? in
        if let finished = state.finished[token] { return finished.outcome }
        guard state.pending[token] != nil else { return .timeout }
        state.waiters[token, default: []].append(continuation)
        return nil
      }
      if let done { continuation.resume(returning: done) }
    }
  }

  /// The outcome if already known, without waiting.
  func knownOutcome(of token: Int) -> Outcome? {
    state.withLock { $0.finished[token]?.outcome }
  }

  var pendingCount: Int { state.withLock { $0.pending.count } }

  private func deliver(_ resolved: [(Pending, Outcome, [CheckedContinuation<Outcome, Never>])]) {
    for (pending, outcome, waiters) in resolved {
      onOutcome(pending, outcome)
      for waiter in waiters { waiter.resume(returning: outcome) }
    }
  }

  private static func key(_ mqttKey: String, _ relay: Int) -> String { "\(mqttKey)#\(relay)" }

  static func milliseconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    return seconds * 1000 + attoseconds / 1_000_000_000_000_000
  }
}

extension AckTracker.State {
  fileprivate mutating func unindex(_ pending: AckTracker.Pending) {
    let key = "\(pending.mqttKey)#\(pending.relay)"
    index[key]?.removeAll { $0 == pending.token }
    if index[key]?.isEmpty == true { index[key] = nil }
  }

  fileprivate mutating func finish(_ pending: AckTracker.Pending, _ outcome: AckTracker.Outcome)
    -> [CheckedContinuation<AckTracker.Outcome, Never>]
  {
    self.pending[pending.token] = nil
    unindex(pending)
    finished[pending.token] = (outcome, .now)
    return waiters.removeValue(forKey: pending.token) ?? []
  }
}
