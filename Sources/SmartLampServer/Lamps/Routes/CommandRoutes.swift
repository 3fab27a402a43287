import Foundation
import HTTPTypes
import Hummingbird
import SmartLampCore
import SmartLampStore

/// `POST /api/v1/commands/execute` (upstream-spec §5.5, §8 with CONTRACT §6–7) and the command audit log.
struct CommandRoutes: Sendable {
  let lamps: LampServices

  static let requestIDLengths = 1...255
  static let defaultPageSize = 50
  static let maximumPageSize = 200

  func add(to api: RouterGroup<AuthenticatedContext>) {
    api.post("commands/execute", use: execute)
    api.get("commands", use: list)
    api.get("commands/:requestId", use: show)
  }

  func execute(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(scope: .command)
    let principal = context.principal
    var fields = try await request.bodyFields()
    let deviceID = fields.text("deviceId", lengths: 1...DeviceID.maximumLength, required: true)
    let actionText = fields.string("action", required: true)
    let action = actionText.flatMap(PowerAction.init(parsing:))
    if actionText != nil && action == nil { fields.add("action", "must be ON or OFF") }
    let requestID = fields.text("requestId", lengths: Self.requestIDLengths, required: true)
    let waitForAck = fields.bool("waitForAck") ?? false
    try fields.finish()
    guard let deviceID, let action, let requestID else { throw APIError.validation() }
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
        request, context: context, principal: principal, body: fields.raw, countedHit: countedHit, deviceID: deviceID,
        action: action, requestID: requestID, waitForAck: waitForAck)
    }
  }

  private func perform(
    _ request: Request, context: AuthenticatedContext, principal: Principal, body: ByteBuffer,
    countedHit: Idempotency.CountedHit, deviceID: String, action: PowerAction, requestID: String, waitForAck: Bool
  ) async throws -> Response {
    try await lamps.idempotency.perform(
      request, context: context, principal: principal, body: body, required: true, countingHit: countedHit
    ) { decision in
      var headers = decision.map(Self.rateLimitHeaders) ?? HTTPFields()
      let (device, _) = try await lamps.authorisedDevice(deviceID, principal: principal, action: .control)
      let executed: (result: CommandService.Result, deferred: DeferredCommandLog?)
      do {
        executed = try await lamps.commands.execute(
          device: device, action: action, requestId: requestID, issuer: .init(principal: principal),
          waitForAck: waitForAck, deferLog: true)
      } catch is BrokerUnavailable {
        throw APIError.brokerUnavailable()
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
    let requestId: String
    let deviceId: String
    let action: String
    let origin: String
    @NullEncoded var userId: Int64?
    @NullEncoded var clientId: Int64?
    @NullEncoded var scheduleId: Int64?
    let status: String
    let issuedAt: Int64
    @NullEncoded var ackedAt: Int64?
    @NullEncoded var ackLatencyMs: Int64?
    @NullEncoded var error: String?
    let commandChannel: String

    init(entry: CommandLogRecord) {
      requestId = entry.requestId
      deviceId = entry.deviceId
      action = entry.action
      origin = entry.origin.rawValue
      userId = entry.userId
      clientId = entry.clientId
      scheduleId = entry.scheduleId
      status = entry.status.rawValue
      issuedAt = entry.issuedAt
      ackedAt = entry.ackedAt
      ackLatencyMs = entry.ackLatencyMs
      error = entry.error
      commandChannel = entry.channel
    }
  }

  /// The internal ids of the devices whose commands `principal` may read; nil for admins (everything, also the
  /// logs of deleted devices).
  private func visibleIDs(_ principal: Principal) async throws -> Set<Int64>? {
    if Authorization.isAdmin(principal) { return nil }
    return Set(try await lamps.visibleDevices(for: principal).map(\.device.id))
  }

  func list(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.readCommandLog)
    var errors = FieldErrors()
    let query = PageQuery(
      request, defaultLimit: Self.defaultPageSize, maximum: Self.maximumPageSize, errors: &errors)
    let before = query.rowID(errors: &errors)
    let deviceID = request.uri.queryParameters.get("deviceId")
    try errors.finish()
    let entries = try await lamps.commandLogs.page(
      limit: query.limit, before: before, deviceId: deviceID,
      visibleDeviceIds: try await visibleIDs(context.principal)
    ).items
    let next = entries.count == query.limit ? entries.last.map { String($0.id) } : nil
    return try EnvelopeResponse.success(
      Page(items: entries.map(CommandJSON.init(entry:)), nextCursor: next), requestID: context.requestID)
  }

  func show(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.readCommandLog)
    let requestID = try context.parameters.require("requestId")
    guard
      let entry = try await lamps.commandLogs.byRequestId(
        requestID, visibleDeviceIds: try await visibleIDs(context.principal))
    else {
      throw APIError.commandNotFound()
    }
    return try EnvelopeResponse.success(CommandJSON(entry: entry), requestID: context.requestID)
  }
}
