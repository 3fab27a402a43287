import Foundation
import HTTPTypes
import Hummingbird
import SmartLampCore
import SmartLampStore

/// `POST /api/v1/commands/execute` (upstream-spec §5.5, §8 with CONTRACT §6–7) and the command audit log.
struct CommandRoutes {
  let lamps: LampServices

  static let requestIDLengths = 1...255

  func addRoutes(to router: Router<AppRequestContext>) {
    router.post("/api/v1/commands/execute", use: execute)
    router.get("/api/v1/commands", use: list)
    router.get("/api/v1/commands/:requestId", use: show)
  }

  @Sendable func execute(_ request: Request, context: AppRequestContext) async throws -> Response {
    let principal = try context.requirePrincipal(scope: .command)
    let body = try await request.jsonBody()
    let members = try body.decode(JSONValue.self).objectMembers()
    var errors = FieldErrors()
    let deviceID = Validation.text(
      TextMember(members, "deviceId", errors: &errors).text, field: "deviceId", lengths: 1...DeviceID.maximumLength,
      into: &errors)
    let actionText = TextMember(members, "action", errors: &errors).text
    let action = actionText.flatMap(PowerAction.init(parsing:))
    if actionText == nil {
      errors.add("action", "is required")
    } else if action == nil {
      errors.add("action", "must be ON or OFF")
    }
    let requestID = Validation.text(
      TextMember(members, "requestId", errors: &errors).text, field: "requestId", lengths: Self.requestIDLengths,
      into: &errors)
    var waitForAck = false
    switch members["waitForAck"] {
    case .none, .some(.null): break
    case .some(.bool(let value)): waitForAck = value
    case .some: errors.add("waitForAck", "must be a boolean")
    }
    guard errors.isEmpty, let deviceID, let action, let requestID else {
      throw APIError.validation(fieldErrors: errors.errors)
    }
    let identifier =
      switch principal {
      case .user(let user): "user:\(user.id):\(context.clientIP)"
      case .apiKey(let key): "client:\(key.clientId):\(context.clientIP)"
      }
    let limiter = lamps.rateLimiter
    // The limiter's hit is counted in the idempotency claim's transaction: one write before the publish.
    let countedHit = Idempotency.CountedHit(
      key: limiter.key(for: identifier), limit: limiter.policy,
      alone: { try await limiter.hit(identifier: identifier) },
      refusal: { decision in
        APIError(
          .tooManyRequests, code: "RATE_LIMITED", message: "Too many command requests",
          details: ["retryAfterSec": .int(decision.retryAfterSec ?? 1)], headers: Self.rateLimitHeaders(decision))
      })
    // The claim before the publish and the audit row after it are on the path a waiting person sees.
    return try await SQLWritePriority.$latencyCritical.withValue(true) {
      try await perform(
        request, context: context, principal: principal, body: body, countedHit: countedHit, deviceID: deviceID,
        action: action, requestID: requestID, waitForAck: waitForAck)
    }
  }

  private func perform(
    _ request: Request, context: AppRequestContext, principal: Principal, body: JSONBody,
    countedHit: Idempotency.CountedHit, deviceID: String, action: PowerAction, requestID: String, waitForAck: Bool
  ) async throws -> Response {
    try await lamps.idempotency.perform(
      request, context: context, principal: principal, body: body.raw, required: true, countingHit: countedHit
    ) { decision in
      var headers = decision.map(Self.rateLimitHeaders) ?? HTTPFields()
      let (device, _) = try await lamps.authorisedDevice(deviceID, principal: principal, action: .control)
      let executed: (result: CommandService.Result, deferred: DeferredCommandLog?)
      do {
        executed = try await lamps.commands.execute(
          device: device, action: action, requestId: requestID, issuer: .init(principal: principal),
          waitForAck: waitForAck, deferLog: true)
      } catch let error as BrokerUnavailable {
        throw LampErrors.brokerUnavailable(error.reason)
      }
      headers[.contentType] = nil
      do {
        let response = try EnvelopeResponse.success(executed.result, requestID: context.requestID, headers: headers)
        return (response, executed.deferred)
      } catch {
        // The command went out: its audit row is written even when the answer cannot be.
        try await executed.deferred?.writeAlone()
        throw error
      }
    }
  }

  static func rateLimitHeaders(_ decision: RateLimitDecision) -> HTTPFields {
    var headers = HTTPFields()
    guard decision.limit > 0 else { return headers }
    headers[.xRateLimitLimit] = String(decision.limit)
    headers[.xRateLimitRemaining] = String(max(0, decision.remaining))
    headers[.xRateLimitReset] = String((decision.resetAt + 999) / 1000)
    if let retry = decision.retryAfterSec { headers[.retryAfter] = String(retry) }
    return headers
  }

  /// A command as the audit log shows it (CONTRACT §5).
  struct CommandJSON: Encodable, Sendable {
    let entry: CommandLogRecord

    enum CodingKeys: String, CodingKey {
      case requestId, deviceId, action, origin, userId, clientId, scheduleId, status, issuedAt, ackedAt
      case ackLatencyMs, error, commandChannel
    }

    func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(entry.requestId, forKey: .requestId)
      try container.encode(entry.deviceId, forKey: .deviceId)
      try container.encode(entry.action, forKey: .action)
      try container.encode(entry.origin.rawValue, forKey: .origin)
      try container.encode(entry.userId, forKey: .userId)
      try container.encode(entry.clientId, forKey: .clientId)
      try container.encode(entry.scheduleId, forKey: .scheduleId)
      try container.encode(entry.status.rawValue, forKey: .status)
      try container.encode(entry.issuedAt, forKey: .issuedAt)
      try container.encode(entry.ackedAt, forKey: .ackedAt)
      try container.encode(entry.ackLatencyMs, forKey: .ackLatencyMs)
      try container.encode(entry.error, forKey: .error)
      try container.encode(entry.channel, forKey: .commandChannel)
    }
  }

  /// The internal ids of the devices whose commands `principal` may read; nil for admins (everything, also the
  /// logs of deleted devices).
  private func visibleIDs(_ principal: Principal) async throws -> Set<Int64>? {
    if Authorization.isAdmin(principal) { return nil }
    return Set(try await lamps.visibleDevices(for: principal).map(\.device.id))
  }

  @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
    let principal = try context.requirePrincipal(scope: .read)
    try LampErrors.require(Authorization.check(.readCommandLog, principal: principal))
    let query = request.uri.queryParameters
    var errors = FieldErrors()
    var limit = 50
    if let text = query["limit"].map(String.init) {
      if let value = Int(text), (1...200).contains(value) {
        limit = value
      } else {
        errors.add("limit", "must be 1–200")
      }
    }
    var before: Int64?
    if let text = (query["cursor"] ?? query["before"]).map(String.init), !text.isEmpty {
      if let value = Int64(text), value > 0 { before = value } else { errors.add("cursor", "is not a valid cursor") }
    }
    let deviceID = query["deviceId"].map(String.init)
    guard errors.isEmpty else { throw APIError.validation(fieldErrors: errors.errors) }
    let entries = try await lamps.commandLogs.page(
      limit: limit, before: before, deviceId: deviceID, visibleDeviceIds: try await visibleIDs(principal)
    ).items
    let next = entries.count == limit ? entries.last.map { String($0.id) } : nil
    return try EnvelopeResponse.success(
      Page(items: entries.map(CommandJSON.init(entry:)), nextCursor: next), requestID: context.requestID)
  }

  @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
    let principal = try context.requirePrincipal(scope: .read)
    try LampErrors.require(Authorization.check(.readCommandLog, principal: principal))
    let requestID = try context.parameters.require("requestId")
    guard
      let entry = try await lamps.commandLogs.byRequestId(
        requestID, visibleDeviceIds: try await visibleIDs(principal))
    else {
      throw APIError(.notFound, code: "NOT_FOUND", message: "Command not found")
    }
    return try EnvelopeResponse.success(CommandJSON(entry: entry), requestID: context.requestID)
  }
}
