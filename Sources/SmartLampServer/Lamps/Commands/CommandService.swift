import Logging
import ServiceLifecycle
import SmartLampCore
import SmartLampStore
import Synchronization
import Tasmota

/// The one path every command takes — manual, API key, scheduled (CONTRACT §7): publish `ON`/`OFF` at QoS 1
/// (never retained) and wait for PUBACK, write the audit row only once the broker accepted it, track the device's
/// acknowledgement, and tell realtime subscribers. Authorisation and rate limits are the caller's job.
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
    let ackLatencyMs: Int64?
    /// The lamp's refusal code when it refused the command (status `FAILED`); the key is left out otherwise.
    var error: String? = nil

    enum CodingKeys: String, CodingKey { case deviceId, action, requestId, commandChannel, status, ackLatencyMs, error }

    func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(deviceId, forKey: .deviceId)
      try container.encode(action, forKey: .action)
      try container.encode(requestId, forKey: .requestId)
      try container.encode(commandChannel, forKey: .commandChannel)
      try container.encode(status, forKey: .status)
      try container.encode(ackLatencyMs, forKey: .ackLatencyMs)
      try container.encodeIfPresent(error, forKey: .error)
    }
  }

  /// Log-row bookkeeping between the request (which inserts the row) and the tracker (which knows the outcome).
  enum Bookkeeping: Sendable {
    case logged(token: Int, logID: Int64, status: CommandStatus)
    case logFailed(token: Int)
    case outcome(token: Int, AckTracker.Outcome)
  }

  let broker: BrokerConnection
  let acks: AckTracker
  let state: DeviceStateService
  let logs: CommandLogRepository
  let hub: RealtimeHub
  let logger: Logger
  let ackTimeoutMs: Int
  private let bookkeeping: (stream: AsyncStream<Bookkeeping>, continuation: AsyncStream<Bookkeeping>.Continuation)
  /// Keeps each command's realtime events in order: an outcome that arrives before the `PUBLISHED` event went out
  /// (a device faster than our PUBACK handling) waits for it.
  private let eventOrder = Mutex(EventOrder())
  /// Acknowledgement counts and latencies for `/metrics`.
  let outcomeMetrics = CommandOutcomeMetrics()

  private struct EventOrder {
    var announced: Set<Int> = []
    var stashed: [Int: String] = [:]
  }

  init(
    broker: BrokerConnection, acks: AckTracker, state: DeviceStateService, logs: CommandLogRepository, hub: RealtimeHub,
    ackTimeoutMs: Int, logger: Logger
  ) {
    self.broker = broker
    self.acks = acks
    self.state = state
    self.logs = logs
    self.hub = hub
    self.ackTimeoutMs = ackTimeoutMs
    self.logger = logger
    bookkeeping = AsyncStream.makeStream(of: Bookkeeping.self)
  }

  /// Called by the tracker for every outcome.
  func recordOutcome(_ pending: AckTracker.Pending, _ outcome: AckTracker.Outcome) {
    bookkeeping.continuation.yield(.outcome(token: pending.token, outcome))
    outcomeMetrics.record(outcome)
    let (status, _, latency) = Self.describe(outcome)
    let event = RealtimeEvent.json(
      RealtimeEvent.Command(
        requestId: pending.context.requestId, deviceId: pending.context.deviceId, action: pending.context.action,
        status: status.rawValue, ackLatencyMs: latency, error: Self.error(of: outcome), ts: RealtimeEvent.now()))
    let device = pending.context.deviceInternalId
    eventOrder.withLock { order in
      if order.announced.remove(pending.token) != nil {
        hub.publish(device: device, json: event)
      } else {
        order.stashed[pending.token] = event
      }
    }
  }

  /// Sends the `PUBLISHED` event, then an outcome that was waiting for it.
  private func announce(token: Int, device: Int64, json: String) {
    eventOrder.withLock { order in
      hub.publish(device: device, json: json)
      if let stashed = order.stashed.removeValue(forKey: token) {
        hub.publish(device: device, json: stashed)
      } else {
        order.announced.insert(token)
      }
    }
  }

  /// Publishes the command and records it. With `waitForAck`, returns once the device acknowledged or the
  /// acknowledgement timed out.
  /// - Throws: ``BrokerUnavailable`` when the broker is down or refused the publish (nothing is logged then).
  func execute(
    device: LampDevice, action: PowerAction, requestId: String, issuer: Issuer, waitForAck: Bool
  ) async throws -> Result {
    try await execute(
      device: device, action: action, requestId: requestId, issuer: issuer, waitForAck: waitForAck, deferLog: false
    ).result
  }

  /// As ``execute(device:action:requestId:issuer:waitForAck:)``; with `deferLog` and without `waitForAck` the
  /// audit row is not written here but handed back, so the caller writes it in the transaction that stores the
  /// request's idempotency record (one write on the request path instead of two). The `PUBLISHED` event follows
  /// the row, as always. With `waitForAck` the row is written at once, while the device is awaited: the audit
  /// log must show the command even if the process stops during the wait.
  func execute(
    device: LampDevice, action: PowerAction, requestId: String, issuer: Issuer, waitForAck: Bool, deferLog: Bool
  ) async throws -> (result: Result, deferred: DeferredCommandLog?) {
    let expected: TasmotaPower = action == .on ? .on : .off
    let issuedAt = APITime.epochMilliseconds()
    // Plain text for a device without a secret, a signed envelope for one with a secret.
    let command = try CommandPayload.make(
      device: device, action: action, requestId: requestId, issuedAt: issuedAt,
      wireID: state.wireID(mqttKey: device.mqttKey), order: state.topicOrder(mqttKey: device.mqttKey))
    let token = acks.register(
      mqttKey: device.mqttKey, relay: device.channel.relay, expected: expected, wireRequestID: command.wireRequestID,
      context: .init(
        requestId: requestId, deviceInternalId: device.id, deviceId: device.deviceId, action: action.rawValue))
    do {
      try await broker.publishCommand(topic: command.topic, payload: command.payload)
    } catch {
      acks.cancel(token)
      throw error
    }
    let known = acks.knownOutcome(of: token)
    let (status, ackedAt, latency) = Self.describe(known)
    let log = NewCommandLog(
      requestId: requestId, deviceInternalId: device.id, deviceId: device.deviceId, channel: device.commandChannel,
      action: action, origin: issuer.origin, userId: issuer.userId, clientId: issuer.clientId,
      scheduleId: issuer.scheduleId, issuedAt: issuedAt, expiresAt: issuedAt + Int64(ackTimeoutMs), status: status,
      ackedAt: ackedAt, ackLatencyMs: latency, error: Self.error(of: known))
    let published = RealtimeEvent.json(
      RealtimeEvent.Command(
        requestId: requestId, deviceId: device.deviceId, action: action.rawValue,
        status: CommandStatus.published.rawValue, ackLatencyMs: nil, ts: issuedAt))
    let deferred = DeferredCommandLog(
      log: log, logs: logs,
      written: { [self] id in
        bookkeeping.continuation.yield(.logged(token: token, logID: id, status: status))
        announce(token: token, device: device.id, json: published)
      },
      failed: { [self] in
        bookkeeping.continuation.yield(.logFailed(token: token))
        eventOrder.withLock { _ = $0.stashed.removeValue(forKey: token) }
      })
    if deferLog && !waitForAck {
      let final = Self.describe(acks.knownOutcome(of: token))
      return (
        Result(
          deviceId: device.deviceId, action: action.rawValue, requestId: requestId,
          commandChannel: device.channel.name, status: final.status.rawValue, ackLatencyMs: final.latency,
          error: Self.error(of: acks.knownOutcome(of: token))),
        deferred
      )
    }
    let outcome: AckTracker.Outcome?
    if waitForAck {
      // The row is written while the device is awaited: a device usually answers before the write is done.
      async let logged: Void = deferred.writeAlone()
      outcome = await acks.outcome(of: token)
      try await logged
    } else {
      try await deferred.writeAlone()
      outcome = acks.knownOutcome(of: token)
    }
    let final = Self.describe(outcome)
    return (
      Result(
        deviceId: device.deviceId, action: action.rawValue, requestId: requestId, commandChannel: device.channel.name,
        status: final.status.rawValue, ackLatencyMs: final.latency, error: Self.error(of: outcome)),
      nil
    )
  }

  static func describe(_ outcome: AckTracker.Outcome?) -> (status: CommandStatus, ackedAt: Int64?, latency: Int64?) {
    switch outcome {
    case .none: (.published, nil, nil)
    case .acked(let at, let latency): (.acked, at, latency)
    case .timeout: (.timeout, nil, nil)
    case .refused: (.failed, nil, nil)
    }
  }

  /// The lamp's refusal code, for the audit row's `error` and the realtime `command` event.
  static func error(of outcome: AckTracker.Outcome?) -> String? {
    if case .refused(let code) = outcome { return code }
    return nil
  }

  /// Writes outcomes into the audit rows (one consumer, so the row insert and the outcome meet without races),
  /// and times out unacknowledged commands.
  func run() async throws {
    await withDiscardingTaskGroup { group in
      group.addTask { await self.sweepTimeouts() }
      group.addTask { await self.writeOutcomes() }
      try? await gracefulShutdown()
      bookkeeping.continuation.finish()
      group.cancelAll()
    }
  }

  private func sweepTimeouts() async {
    while !Task.isCancelled {
      acks.expire()
      try? await Task.sleep(for: .milliseconds(50))
    }
  }

  private func writeOutcomes() async {
    var logged: [Int: (id: Int64, status: CommandStatus)] = [:]
    var outcomes: [Int: AckTracker.Outcome] = [:]
    for await item in bookkeeping.stream {
      let token: Int
      switch item {
      case .logged(let t, let id, let status):
        token = t
        logged[t] = (id, status)
      case .logFailed(let t):
        token = t
        outcomes[t] = nil
        logged[t] = nil
      case .outcome(let t, let outcome):
        token = t
        outcomes[t] = outcome
      }
      guard let row = logged[token], let outcome = outcomes[token] else { continue }
      logged[token] = nil
      outcomes[token] = nil
      let (status, ackedAt, latency) = Self.describe(outcome)
      guard status != row.status else { continue }
      // A full or unreachable database takes the outcome later, the ones behind it waiting in order (issue #10,
      // disk full): an answer or event that said ACKED must find its audit row saying so once writes work again.
      var delay = Duration.milliseconds(100)
      while true {
        do {
          // Only a row still pending changes: the outcome of one command is final once written.
          if status == .acked, let ackedAt {
            try await logs.markAcked(row.id, ackedAt: ackedAt, latencyMs: latency ?? 0)
          } else if status == .timeout {
            try await logs.markTimedOut(row.id)
          } else if status == .failed, let code = Self.error(of: outcome) {
            try await logs.markRefused(row.id, error: code)
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
