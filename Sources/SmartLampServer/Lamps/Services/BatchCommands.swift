import Logging
import SmartLampCore
import SmartLampStore

/// Many lamps switched by one request (`POST /commands/batch`, issue #7 item 4): each item is authorised on its
/// own (refused with the reason when not allowed), then published, audited and acknowledged on its own through
/// ``CommandService`` with its own request id, several at a time. The rate limit and the idempotency record
/// belong to the request (the route); nothing here throws for one item's failure.
struct BatchCommands: Sendable {
  let lamps: LampServices
  /// Items in flight at once: enough that a room of lamps goes out together rather than one round trip after the
  /// other; bounded so a batch of 1 000 does not queue 1 000 publishes and log writes at once.
  var concurrency = 128

  static let maximumItems = 1_000

  struct Item: Sendable {
    let deviceId: String
    let action: PowerAction
  }

  /// One item's result, in the order of the request.
  struct Outcome: Encodable, Sendable {
    struct Failure: Encodable, Sendable {
      let code: String
      let message: String
    }

    let deviceId: String
    let action: String
    let requestId: String
    /// `ACKED`, `TIMEOUT`, `PUBLISHED` (without waiting), `REFUSED` or `FAILED`.
    let status: String
    @NullEncoded var ackLatencyMs: Int64?
    @NullEncoded var error: Failure?

    /// An item that did not go out (`REFUSED`) or whose publish failed (`FAILED`), with the error's code.
    static func ended(_ item: Item, requestId: String, status: String, _ error: APIError) -> Outcome {
      Outcome(
        deviceId: item.deviceId, action: item.action.rawValue, requestId: requestId, status: status,
        ackLatencyMs: nil, error: Failure(code: error.code, message: error.message))
    }
  }

  /// Runs every item; request ids are `<requestIdPrefix>:<index>`.
  func run(_ items: [Item], requestIdPrefix: String, principal: Principal, waitForAck: Bool) async throws
    -> [Outcome]
  {
    let grants = try await grants(of: principal)
    var outcomes = [Outcome?](repeating: nil, count: items.count)
    var work: [(index: Int, device: LampDevice)] = []
    for (index, item) in items.enumerated() {
      let requestId = "\(requestIdPrefix):\(index)"
      switch authorise(item, principal: principal, grants: grants) {
      case .success(let device): work.append((index, device))
      case .failure(let error): outcomes[index] = .ended(item, requestId: requestId, status: "REFUSED", error)
      }
    }
    let issuer = CommandService.Issuer(principal: principal)
    let commands = lamps.commands
    let limit = max(1, concurrency)
    var failed: [NewCommandLog] = []
    let one: @Sendable (Int, LampDevice) async -> (Int, Outcome, NewCommandLog?) = { index, device in
      await Self.execute(
        items[index], device: device, requestId: "\(requestIdPrefix):\(index)", issuer: issuer,
        waitForAck: waitForAck, commands: commands, index: index)
    }
    await withTaskGroup(of: (Int, Outcome, NewCommandLog?).self) { group in
      var pending = work.makeIterator()
      for _ in 0..<limit {
        guard let job = pending.next() else { break }
        group.addTask { await one(job.index, job.device) }
      }
      for await (index, outcome, failure) in group {
        outcomes[index] = outcome
        if let failure { failed.append(failure) }
        if let job = pending.next() { group.addTask { await one(job.index, job.device) } }
      }
    }
    await audit(failed)
    return outcomes.enumerated().map { index, outcome in
      outcome ?? .ended(items[index], requestId: "\(requestIdPrefix):\(index)", status: "FAILED", .internalError())
    }
  }

  /// The caller's assignments, read once for the whole batch (nil for admins: they need none).
  private func grants(of principal: Principal) async throws -> [Int64: DeviceGrant] {
    guard !Authorization.isAdmin(principal), let user = principal.effectiveUserId else { return [:] }
    return try await lamps.store.assignments.grantsByDeviceInternalId(user)
  }

  /// As `POST /commands/execute` decides for one device (unknown, then not permitted).
  private func authorise(_ item: Item, principal: Principal, grants: [Int64: DeviceGrant]) -> Result<
    LampDevice, APIError
  > {
    guard let device = lamps.state.device(publicID: item.deviceId) else {
      return .failure(.deviceNotFound(item.deviceId))
    }
    let assignment = grants[device.id]
    if case .denied(let denial) = Authorization.check(.control, principal: principal, assignment: assignment) {
      return .failure(APIError(denial))
    }
    guard Authorization.actingGrant(principal, assignment: assignment) != nil else {
      return .failure(APIError(.deviceAccess))
    }
    return .success(device)
  }

  /// One item through the command path. A publish the broker refused is `FAILED` (and audited as such by the
  /// batch); any other error after the publish is `FAILED` too, never an error of the whole request.
  private static func execute(
    _ item: Item, device: LampDevice, requestId: String, issuer: CommandService.Issuer, waitForAck: Bool,
    commands: CommandService, index: Int
  ) async -> (Int, Outcome, NewCommandLog?) {
    do {
      let result = try await commands.execute(
        device: device, action: item.action, requestId: requestId, issuer: issuer, waitForAck: waitForAck)
      return (
        index,
        Outcome(
          deviceId: item.deviceId, action: item.action.rawValue, requestId: requestId, status: result.status,
          ackLatencyMs: result.ackLatencyMs, error: nil),
        nil
      )
    } catch is BrokerUnavailable {
      let broker = APIError.brokerUnavailable()
      let now = Timestamp.nowMillis()
      let log = NewCommandLog(
        requestId: requestId, deviceInternalId: device.id, deviceId: device.deviceId, channel: device.commandChannel,
        action: item.action, origin: issuer.origin, userId: issuer.userId, clientId: issuer.clientId,
        issuedAt: now, expiresAt: now, status: .failed, error: broker.code)
      return (index, .ended(item, requestId: requestId, status: "FAILED", broker), log)
    } catch {
      commands.logger.warning(
        "batch command item failed", metadata: ["requestId": "\(requestId)", "error": "\(error)"])
      return (index, .ended(item, requestId: requestId, status: "FAILED", .internalError()), nil)
    }
  }

  /// The audit rows of publishes the broker refused, in one transaction (each item keeps its own row).
  private func audit(_ failed: [NewCommandLog]) async {
    guard !failed.isEmpty else { return }
    do {
      try await lamps.commandLogs.insertAll(failed)
    } catch {
      lamps.logger.warning("could not audit failed batch commands", metadata: ["error": "\(error)"])
    }
  }
}
