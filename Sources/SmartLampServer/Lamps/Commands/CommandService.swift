import Logging
import ServiceLifecycle
import SmartLampCore
import SmartLampStore
import Synchronization
import Tasmota

/// The one path every command takes — manual, API key, scheduled (CONTRACT §7): publish `ON`/`OFF` at QoS 1
/// (never retained) and wait for PUBACK, write the audit row only once the broker accepted it, track the device's
/// acknowledgement, and tell realtime subscribers. Authorisation and rate limits are the caller's job.
///
/// Every pending command lives in one ``CommandLedger``; this service feeds it events and runs the actions it
/// returns (``run(_:)``), and its ``run()`` writes outcomes into the audit rows and times commands out on the
/// clock.
final class CommandService: Service, Sendable {
  /// Who issued a command, for the audit log.
  struct Issuer: Sendable {
    var origin: CommandOrigin
    var userId: Int64?
    var clientId: Int64?
    var scheduleId: Int64?

    init(origin: CommandOrigin, userId: Int64? = nil, clientId: Int64? = nil, scheduleId: Int64? = nil) {
      self.origin = origin
      self.userId = userId
      self.clientId = clientId
      self.scheduleId = scheduleId
    }

    init(principal: Principal) {
      switch principal {
      case .user(let user): self.init(origin: .user, userId: user.id)
      case .apiKey(let key): self.init(origin: .apiKey, userId: key.ownerUserId, clientId: key.clientId)
      }
    }
  }

  struct Result: Sendable, Encodable {
    let deviceId: String
    let action: String
    let requestId: String
    let commandChannel: String
    let status: String
    @NullEncoded var ackLatencyMs: Int64?
    /// The lamp's refusal code when it refused the command (status `FAILED`); the key is left out otherwise.
    var error: String? = nil
  }

  typealias Ledger = CommandLedger<ServerClock>

  let broker: any BrokerLink
  let state: DeviceStateService
  let logs: CommandLogRepository
  let hub: RealtimeHub
  let logger: Logger
  let ackTimeoutMs: Int
  let clock: ServerClock
  private let ledger: Mutex<Ledger>
  /// Outcomes to write into audit rows, in order (one writer, off the request and ingest paths).
  private let records = AsyncStream.makeStream(of: (rowID: Int64, outcome: CommandOutcome).self)
  /// Published commands whose audit row the database could not take yet, in order (written by ``run()`` once it
  /// can: every command that went out is audited).
  private let deferredRows = AsyncStream.makeStream(of: Published.self)
  /// The deadlines ``run()`` wakes at.
  private let timers = AsyncStream.makeStream(of: ServerClock.Instant.self)
  /// Acknowledgement counts and latencies for `/metrics`.
  let outcomeMetrics = CommandOutcomeMetrics()

  init(
    broker: any BrokerLink, state: DeviceStateService, logs: CommandLogRepository, hub: RealtimeHub,
    ackTimeoutMs: Int, clock: ServerClock = .system, logger: Logger
  ) {
    self.broker = broker
    self.clock = clock
    self.state = state
    self.logs = logs
    self.hub = hub
    self.ackTimeoutMs = ackTimeoutMs
    self.logger = logger
    ledger = Mutex(Ledger(timeout: .milliseconds(max(ackTimeoutMs, 1))))
  }

  // MARK: device events (from the ingest loop)

  /// A device reported `power` on `relay`; returns whether that acknowledged any command.
  func deviceReported(mqttKey: String, relay: Int, power: TasmotaPower, at millis: Int64) -> Bool {
    let now = clock.now
    return update { $0.deviceReported(mqttKey: mqttKey, relay: relay, power: power, at: millis, now: now) }
  }

  func awaits(mqttKey: String, relay: Int, power: TasmotaPower) -> Bool {
    ledger.withLock { $0.awaits(mqttKey: mqttKey, relay: relay, power: power) }
  }

  func deviceAcknowledged(mqttKey: String, wireRequestID: String, at millis: Int64) {
    let now = clock.now
    update { $0.deviceAcknowledged(mqttKey: mqttKey, wireRequestID: wireRequestID, at: millis, now: now) }
  }

  func deviceRefused(mqttKey: String, wireRequestID: String?, code: String) {
    let now = clock.now
    update { $0.deviceRefused(mqttKey: mqttKey, wireRequestID: wireRequestID, code: code, now: now) }
  }

  var pendingCount: Int { ledger.withLock { $0.count } }

  // MARK: executing

  /// A published command whose audit row is still to be written: by ``writeRow(_:)``, or by the caller in a
  /// transaction it runs anyway (the request's idempotency record), reporting back through ``rowWritten(_:id:)``
  /// or ``rowFailed(_:)``.
  struct Published: Sendable {
    let token: Int
    let log: NewCommandLog
    /// The outcome known when the broker accepted it (the row is written with it).
    let known: CommandOutcome?
    let device: LampDevice
  }

  /// Publishes the command and records it. With `waitForAck`, returns once the device acknowledged or the
  /// acknowledgement timed out.
  /// - Throws: ``BrokerUnavailable`` when the broker is down or refused the publish (nothing is logged then).
  func execute(
    device: LampDevice, action: PowerAction, requestId: String, issuer: Issuer, waitForAck: Bool
  ) async throws -> Result {
    let published = try await publish(
      device: device, action: action, requestId: requestId, issuer: issuer, waitForAck: waitForAck)
    guard waitForAck else { return result(published, try await writeRow(published)) }
    // The row is written at once, while the device is awaited: the audit log must show the command even if the
    // process stops during the wait (a device usually answers before the write is done).
    async let logged = writeRow(published)
    let outcome = await self.outcome(of: published)
    _ = try await logged
    return result(published, outcome)
  }

  /// Registers the command in the ledger and publishes it.
  func publish(device: LampDevice, action: PowerAction, requestId: String, issuer: Issuer, waitForAck: Bool)
    async throws -> Published
  {
    let expected = TasmotaPower(action)
    let issuedAt = clock.epochMilliseconds()
    // Plain text for a device without a secret, a signed envelope for one with a secret.
    let payload = try CommandPayload.make(
      device: device, action: action, requestId: requestId, issuedAt: issuedAt,
      wireID: state.wireID(mqttKey: device.mqttKey), order: state.topicOrder(mqttKey: device.mqttKey))
    let command = Ledger.Command(
      requestId: requestId, deviceInternalId: device.id, deviceId: device.deviceId, action: action.rawValue,
      mqttKey: device.mqttKey, relay: device.channel.relay, expected: expected, wireRequestID: payload.wireRequestID,
      issuedAt: issuedAt)
    let now = clock.now
    let token = update { ledger -> (Int, [Ledger.Action]) in
      ledger.register(command, awaited: waitForAck, now: now)
    }
    do {
      try await broker.publishCommand(topic: payload.topic, payload: payload.payload)
    } catch {
      update { $0.publishFailed(token) }
      throw error
    }
    let known = ledger.withLock { $0.published(token) }
    let log = NewCommandLog(
      requestId: requestId, deviceInternalId: device.id, deviceId: device.deviceId, channel: device.commandChannel,
      action: action, origin: issuer.origin, userId: issuer.userId, clientId: issuer.clientId,
      scheduleId: issuer.scheduleId, issuedAt: issuedAt, expiresAt: issuedAt + Int64(ackTimeoutMs),
      status: known?.status ?? .published, ackedAt: Self.describe(known).ackedAt,
      ackLatencyMs: Self.describe(known).latency, error: known?.error)
    return Published(token: token, log: log, known: known, device: device)
  }

  /// Writes the audit row in a transaction of its own; returns the outcome known by then. A database that cannot
  /// take it now (full disk, unreachable) gets it later (``deferRow(_:)``): the command went out, so the caller
  /// answers with its outcome as usual and the audit log catches up.
  func writeRow(_ published: Published) async throws -> CommandOutcome? {
    let id: Int64
    do {
      id = try await logs.insert(published.log, now: published.log.issuedAt).id
    } catch let error as SQLError where error.isUnavailable {
      deferRow(published, error)
      return ledger.withLock { $0.outcome(of: published.token) }
    } catch {
      rowFailed(published)
      throw error
    }
    return rowWritten(published, id: id)
  }

  /// The audit row exists: `PUBLISHED` goes out (then an outcome that waited for it). Returns the outcome so far.
  @discardableResult
  func rowWritten(_ published: Published, id: Int64) -> CommandOutcome? {
    rowWritten(published, id: id, recorded: published.known)
  }

  /// As above for a row written showing `recorded`.
  @discardableResult
  private func rowWritten(_ published: Published, id: Int64, recorded: CommandOutcome?) -> CommandOutcome? {
    update { ledger -> (CommandOutcome?, [Ledger.Action]) in
      let outcome = ledger.outcome(of: published.token)
      return (outcome, ledger.rowWritten(published.token, rowID: id, recorded: recorded))
    }
  }

  /// The database refused the audit row for now (`error`): ``run()`` writes it once it can, with the outcome known
  /// by then.
  func deferRow(_ published: Published, _ error: SQLError) {
    ledger.withLock { $0.rowDeferred(published.token) }
    logger.warning(
      "command published but its audit row cannot be written yet; it will be once the database takes it",
      metadata: ["requestId": "\(published.log.requestId)", "error": "\(error)"])
    deferredRows.continuation.yield(published)
  }

  func rowFailed(_ published: Published) {
    ledger.withLock { $0.rowFailed(published.token) }
  }

  /// Waits for the device (at most the acknowledgement timeout).
  func outcome(of published: Published) async -> CommandOutcome {
    await withCheckedContinuation { continuation in
      update { $0.awaitOutcome(published.token, continuation) }
    }
  }

  func result(_ published: Published, _ outcome: CommandOutcome?) -> Result {
    let log = published.log
    return Result(
      deviceId: log.deviceId, action: log.action.rawValue, requestId: log.requestId,
      commandChannel: published.device.channel.name, status: (outcome?.status ?? .published).rawValue,
      ackLatencyMs: Self.describe(outcome).latency, error: outcome?.error)
  }

  static func describe(_ outcome: CommandOutcome?) -> (status: CommandStatus, ackedAt: Int64?, latency: Int64?) {
    switch outcome {
    case .none: (.published, nil, nil)
    case .acked(let at, let latency): (.acked, at, latency)
    case .timeout: (.timeout, nil, nil)
    case .refused: (.failed, nil, nil)
    }
  }

  /// The lamp's refusal code, for the audit row's `error` and the realtime `command` event.
  static func error(of outcome: CommandOutcome?) -> String? { outcome?.error }

  // MARK: running the ledger's actions

  /// Applies one event to the ledger and runs the actions it returns.
  @discardableResult
  private func update<Value: Sendable>(_ event: (inout Ledger) -> (Value, [Ledger.Action])) -> Value {
    // Realtime events are published under the lock: two events of one command computed by two threads must reach
    // the hub in the order the ledger decided (`PUBLISHED` before `ACKED`). The hub only enqueues.
    let (value, actions) = ledger.withLock { ledger in
      let (value, actions) = event(&ledger)
      for case .announce(let command, let outcome) in actions { announce(command, outcome) }
      return (value, actions)
    }
    for action in actions {
      switch action {
      case .announce: break
      case .record(let rowID, let outcome): records.continuation.yield((rowID, outcome))
      case .resume(let waiters, let outcome): for waiter in waiters { waiter.resume(returning: outcome) }
      case .armTimer(let deadline): timers.continuation.yield(deadline)
      case .decided(let outcome): outcomeMetrics.record(outcome)
      }
    }
    return value
  }

  private func update(_ event: (inout Ledger) -> [Ledger.Action]) {
    update { ledger -> (Void, [Ledger.Action]) in ((), event(&ledger)) }
  }

  private func announce(_ command: Ledger.Command, _ outcome: CommandOutcome?) {
    let event =
      if let outcome {
        RealtimeEvent.Command(
          requestId: command.requestId, deviceId: command.deviceId, action: command.action,
          status: outcome.status.rawValue, ackLatencyMs: Self.describe(outcome).latency, error: outcome.error,
          ts: RealtimeEvent.now())
      } else {
        RealtimeEvent.Command(
          requestId: command.requestId, deviceId: command.deviceId, action: command.action,
          status: CommandStatus.published.rawValue, ackLatencyMs: nil, ts: command.issuedAt)
      }
    hub.publish(device: command.deviceInternalId, json: RealtimeEvent.json(event))
  }

  /// Writes outcomes into the audit rows and times out unacknowledged commands, sleeping until the next deadline.
  func run() async throws {
    await withDiscardingTaskGroup { group in
      group.addTask { await self.writeOutcomes() }
      group.addTask { await self.writeDeferredRows() }
      group.addTask { await self.expireOnTime() }
      try? await gracefulShutdown()
      records.continuation.finish()
      deferredRows.continuation.finish()
      timers.continuation.finish()
      group.cancelAll()
    }
    // Stopping while the database still refuses them: said once, loudly, with the count.
    let unaudited = ledger.withLock { $0.deferredCount }
    if unaudited > 0 {
      logger.error(
        "stopping with published commands whose audit rows could not be written", metadata: ["count": "\(unaudited)"])
    }
  }

  private func expireOnTime() async {
    for await deadline in timers.stream {
      do {
        try await clock.sleep(until: deadline)
      } catch {
        return
      }
      let now = clock.now
      update { $0.tick(now: now) }
    }
  }

  /// Writes the audit rows the database refused at publish, oldest first, each with the outcome known when it
  /// is finally written (later outcomes follow through ``writeOutcomes()``), retrying while the database is
  /// unavailable.
  private func writeDeferredRows() async {
    for await published in deferredRows.stream {
      var delay = Duration.milliseconds(100)
      while true {
        let outcome = ledger.withLock { $0.outcome(of: published.token) }
        var log = published.log
        let described = Self.describe(outcome)
        log.status = described.status
        log.ackedAt = described.ackedAt
        log.ackLatencyMs = described.latency
        log.error = outcome?.error
        do {
          // A lost connection may have lost the answer to a COMMIT that happened: never write the row twice.
          let existing = try await logs.byRequestId(log.requestId).flatMap { row in
            row.issuedAt == log.issuedAt && row.deviceId == log.deviceId ? row : nil
          }
          if let existing {
            // What it shows is unknown here: the outcome is recorded again (a row already showing one stays).
            rowWritten(published, id: existing.id, recorded: nil)
          } else {
            rowWritten(published, id: try await logs.insert(log, now: log.issuedAt).id, recorded: outcome)
          }
          logger.notice("deferred command audit row written", metadata: ["requestId": "\(log.requestId)"])
          break
        } catch let error as SQLError where error.isUnavailable {
          guard (try? await Task.sleep(for: delay)) != nil else { break }
          delay = min(delay * 2, .seconds(2))
        } catch {
          logger.error(
            "could not write a published command's audit row",
            metadata: ["requestId": "\(log.requestId)", "error": "\(error)"])
          rowFailed(published)
          break
        }
      }
    }
  }

  private func writeOutcomes() async {
    for await (rowID, outcome) in records.stream {
      // A full or unreachable database takes the outcome later, the ones behind it waiting in order (issue #10,
      // disk full): an answer or event that said ACKED must find its audit row saying so once writes work again.
      var delay = Duration.milliseconds(100)
      while true {
        do {
          // Only a row still pending changes: the outcome of one command is final once written.
          switch outcome {
          case .acked(let at, let latency): try await logs.markAcked(rowID, ackedAt: at, latencyMs: latency)
          case .timeout: try await logs.markTimedOut(rowID)
          case .refused(let code): try await logs.markRefused(rowID, error: code)
          }
          break
        } catch let error as SQLError where error.isUnavailable {
          logger.warning("could not record a command outcome yet; retrying", metadata: ["error": "\(error)"])
          guard (try? await Task.sleep(for: delay)) != nil else { break }
          delay = min(delay * 2, .seconds(2))
        } catch {
          logger.warning("could not record a command outcome", metadata: ["error": "\(error)"])
          break
        }
      }
    }
  }
}
