import Tasmota

/// Every command between its publish and its end (CONTRACT §7), as one pure state machine: events come in any
/// order — the device may answer before the broker's PUBACK or before the audit row exists, a deadline may pass
/// while the row is written — and each returns the actions that follow, which ``CommandService`` runs in one place.
///
/// The rules that live here and nowhere else:
/// - a plain command is acknowledged by a report of the requested power on its relay; a signed one (with a request
///   id on the wire) only by a status echoing that id, and fails when the lamp's refusal names it; a refusal that
///   names no request (`SIGNATURE_REQUIRED`) fails the plain commands pending on that lamp;
/// - an outcome is final: the first of acknowledgement, refusal or deadline wins;
/// - `PUBLISHED` goes on the realtime stream after the audit row exists, and the outcome after `PUBLISHED`; nothing
///   is announced for a command whose row could not be written; a row the database cannot take yet (disk full) is
///   deferred, and the command is kept, outcome and all, until it is written;
/// - the row is updated with the outcome only once it exists, and only when it does not already show it.
///
/// Generic over the clock so tests drive time by hand.
struct CommandLedger<C: Clock>: Sendable where C.Duration == Duration {
  typealias Waiter = CheckedContinuation<CommandOutcome, Never>

  /// What a command is, for matching reports and announcing it.
  struct Command: Sendable, Hashable {
    var requestId: String
    var deviceInternalId: Int64
    var deviceId: String
    var action: String
    var mqttKey: String
    var relay: Int
    var expected: TasmotaPower
    /// The envelope's request id for a signed command; nil for a plain one (acknowledged by the reported power).
    var wireRequestID: String?
    /// When it was issued (epoch ms): the time of the `PUBLISHED` event.
    var issuedAt: Int64
  }

  enum Action: Sendable {
    /// Tell realtime subscribers: `PUBLISHED` when the outcome is nil, else the outcome.
    case announce(Command, CommandOutcome?)
    /// Update the audit row with the outcome.
    case record(rowID: Int64, CommandOutcome)
    case resume([Waiter], CommandOutcome)
    /// Wake ``tick(now:)`` at this instant.
    case armTimer(C.Instant)
    /// An outcome was decided (for the metrics).
    case decided(CommandOutcome)
  }

  private enum Row: Sendable {
    case pending
    /// The database could not take the row (full disk, unreachable); it is written once it can, with the outcome
    /// known then. The entry is kept until then: the command went out, so its audit row must come.
    case deferred
    case written(id: Int64, recorded: CommandOutcome?)
    case failed

    /// Pending or deferred: no row exists yet.
    var isUnwritten: Bool {
      switch self {
      case .pending, .deferred: true
      case .written, .failed: false
      }
    }
  }

  private struct Entry: Sendable {
    let command: Command
    let startedAt: C.Instant
    let deadline: C.Instant
    var outcome: CommandOutcome?
    var row = Row.pending
    var waiters: [Waiter] = []
    /// The issuer will ask for the outcome (waitForAck): the entry stays until it did.
    var awaited: Bool

    /// Nothing more can happen to it.
    var isSettled: Bool {
      guard outcome != nil, !awaited else { return false }
      switch row {
      case .pending, .deferred: return false
      case .written, .failed: return true
      }
    }

    /// The audit row is still to be written later.
    var isDeferred: Bool {
      if case .deferred = row { return true }
      return false
    }
  }

  let timeout: Duration
  private var nextToken = 0
  private var entries: [Int: Entry] = [:]
  /// Undecided commands by lamp, oldest first (every device report looks here).
  private var undecided: [String: [Int]] = [:]
  /// The instant the timer is armed for, if it is.
  private var armed: C.Instant?

  init(timeout: Duration) {
    self.timeout = timeout
  }

  var count: Int { entries.count }

  /// Commands whose audit row is still to be written (the database refused it so far).
  var deferredCount: Int { entries.values.filter(\.isDeferred).count }

  /// Starts tracking a command before it is published (a fast device may answer before PUBACK arrives).
  mutating func register(_ command: Command, awaited: Bool, now: C.Instant) -> (token: Int, actions: [Action]) {
    nextToken += 1
    let deadline = now.advanced(by: timeout)
    entries[nextToken] = Entry(command: command, startedAt: now, deadline: deadline, awaited: awaited)
    undecided[command.mqttKey, default: []].append(nextToken)
    // Every deadline is `now + timeout`, so a later command never needs an earlier wake than the armed one.
    guard armed.map({ deadline < $0 }) ?? true else { return (nextToken, []) }
    armed = deadline
    return (nextToken, [.armTimer(deadline)])
  }

  /// The broker refused the publish: forgotten, nothing is announced or recorded.
  mutating func publishFailed(_ token: Int) -> [Action] {
    guard let entry = entries.removeValue(forKey: token) else { return [] }
    unindex(token, entry.command)
    return entry.waiters.isEmpty ? [] : [.resume(entry.waiters, .timeout)]
  }

  /// The broker accepted the publish. Returns the outcome known so far, which the audit row is written with.
  func published(_ token: Int) -> CommandOutcome? {
    entries[token]?.outcome
  }

  /// The audit row exists, showing `recorded`: `PUBLISHED` goes out, then an outcome that was waiting for it.
  mutating func rowWritten(_ token: Int, rowID: Int64, recorded: CommandOutcome?) -> [Action] {
    guard var entry = entries[token], entry.row.isUnwritten else { return [] }
    entry.row = .written(id: rowID, recorded: recorded)
    var actions: [Action] = [.announce(entry.command, nil)]
    if let outcome = entry.outcome {
      actions.append(.announce(entry.command, outcome))
      if outcome.status != recorded?.status { actions.append(.record(rowID: rowID, outcome)) }
    }
    store(token, entry)
    return actions
  }

  /// The audit row could not be written: the command is not announced (the request failed).
  mutating func rowFailed(_ token: Int) {
    guard var entry = entries[token], entry.row.isUnwritten else { return }
    entry.row = .failed
    store(token, entry)
  }

  /// The audit row could not be written yet and will be (``rowWritten(_:rowID:recorded:)`` once it is): nothing
  /// is announced until then, and the entry stays, its outcome included, however long that takes.
  mutating func rowDeferred(_ token: Int) {
    guard var entry = entries[token], case .pending = entry.row else { return }
    entry.row = .deferred
    store(token, entry)
  }

  /// The outcome of `token` so far.
  func outcome(of token: Int) -> CommandOutcome? {
    entries[token]?.outcome
  }

  /// Waits for the outcome: resumed at once when it is known (or the command is unknown: as a timeout).
  mutating func awaitOutcome(_ token: Int, _ waiter: Waiter) -> [Action] {
    guard var entry = entries[token] else { return [.resume([waiter], .timeout)] }
    entry.awaited = false
    if let outcome = entry.outcome {
      store(token, entry)
      return [.resume([waiter], outcome)]
    }
    entry.waiters.append(waiter)
    store(token, entry)
    return []
  }

  /// A device reported `power` on `relay`: acknowledges every plain command on it that asked for that state.
  /// `acknowledged` says whether it did any (a change no command explains is device-side history).
  mutating func deviceReported(mqttKey: String, relay: Int, power: TasmotaPower, at millis: Int64, now: C.Instant)
    -> (acknowledged: Bool, actions: [Action])
  {
    let tokens = (undecided[mqttKey] ?? []).filter { token in
      guard let entry = entries[token] else { return false }
      let command = entry.command
      return command.relay == relay && command.wireRequestID == nil && command.expected == power && now < entry.deadline
    }
    var actions: [Action] = []
    for token in tokens {
      guard let entry = entries[token] else { continue }
      let latency = entry.startedAt.duration(to: now).wholeMilliseconds
      actions += decide(token, .acked(at: millis, latencyMs: latency))
    }
    return (!tokens.isEmpty, actions)
  }

  /// Whether a command on the lamp still waits for `power` on `relay` (a report that does not acknowledge, such as
  /// telemetry, may show the change first).
  func awaits(mqttKey: String, relay: Int, power: TasmotaPower) -> Bool {
    (undecided[mqttKey] ?? []).contains { token in
      entries[token].map { $0.command.relay == relay && $0.command.expected == power } ?? false
    }
  }

  /// A native lamp accepted the signed command `wireRequestID` (its status echoes the id).
  mutating func deviceAcknowledged(mqttKey: String, wireRequestID: String, at millis: Int64, now: C.Instant)
    -> [Action]
  {
    resolve(mqttKey: mqttKey, wireRequestID: wireRequestID, now: now) { entry in
      .acked(at: millis, latencyMs: entry.startedAt.duration(to: now).wholeMilliseconds)
    }
  }

  /// A native lamp refused the signed command `wireRequestID` with `code`; without an id (`SIGNATURE_REQUIRED`:
  /// it takes signed commands only) every plain command pending on it would meet the same refusal, so they fail
  /// now instead of timing out.
  mutating func deviceRefused(mqttKey: String, wireRequestID: String?, code: String, now: C.Instant) -> [Action] {
    resolve(mqttKey: mqttKey, wireRequestID: wireRequestID, now: now) { _ in .refused(code: code) }
  }

  /// Times out every command whose deadline has come, and forgets decided ones whose row was never settled (a
  /// request that died between publish and audit row); re-arms the timer for the next deadline.
  mutating func tick(now: C.Instant) -> [Action] {
    var actions: [Action] = []
    for token in undecided.values.joined().sorted() {
      guard let entry = entries[token], entry.deadline <= now else { continue }
      actions += decide(token, .timeout)
    }
    let horizon = now.advanced(by: .zero - (timeout * 2 + .seconds(10)))
    for (token, entry) in entries
    where entry.outcome != nil && entry.waiters.isEmpty && entry.deadline < horizon && !entry.isDeferred {
      entries[token] = nil
    }
    armed = undecided.values.joined().compactMap { entries[$0]?.deadline }.min()
    if let armed { actions.append(.armTimer(armed)) }
    return actions
  }

  // MARK: private

  private mutating func resolve(
    mqttKey: String, wireRequestID: String?, now: C.Instant, _ outcome: (Entry) -> CommandOutcome
  ) -> [Action] {
    let tokens = (undecided[mqttKey] ?? []).filter { token in
      guard let entry = entries[token] else { return false }
      return entry.command.wireRequestID == wireRequestID && now < entry.deadline
    }
    var actions: [Action] = []
    for token in tokens {
      guard let entry = entries[token] else { continue }
      actions += decide(token, outcome(entry))
    }
    return actions
  }

  private mutating func decide(_ token: Int, _ outcome: CommandOutcome) -> [Action] {
    guard var entry = entries[token], entry.outcome == nil else { return [] }
    entry.outcome = outcome
    unindex(token, entry.command)
    var actions: [Action] = [.decided(outcome)]
    if !entry.waiters.isEmpty {
      actions.append(.resume(entry.waiters, outcome))
      entry.waiters = []
    }
    if case .written(let id, let recorded) = entry.row {
      actions.append(.announce(entry.command, outcome))
      if outcome.status != recorded?.status { actions.append(.record(rowID: id, outcome)) }
    }
    store(token, entry)
    return actions
  }

  /// Keeps an entry, or drops it once nothing more can happen to it.
  private mutating func store(_ token: Int, _ entry: Entry) {
    entries[token] = entry.isSettled ? nil : entry
  }

  private mutating func unindex(_ token: Int, _ command: Command) {
    undecided[command.mqttKey]?.removeAll { $0 == token }
    if undecided[command.mqttKey]?.isEmpty == true { undecided[command.mqttKey] = nil }
  }
}
