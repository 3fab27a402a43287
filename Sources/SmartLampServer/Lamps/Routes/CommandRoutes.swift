import Foundation
import HTTPTypes
import Hummingbird
import SmartLampCore
import SmartLampStore

/// `POST /api/v1/commands/execute` (UPSTREAM §5.5, §8 with CONTRACT §6–7) and the command audit log.
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
    let commands = lamps.commands
    // The rate limit's hit rides in the idempotency claim, the audit row in the answer's record: one write before
    // the publish, one after it. Both are on the path a waiting person sees.
    var issued: CommandService.Published?
    var answerHeaders = HTTPFields()
    do {
      return try await SQLWritePriority.$latencyCritical.withValue(true) {
        let (response, written) = try await lamps.idempotency.perform(
          request, context: context, principal: principal, body: fields.raw, required: true,
          claiming: lamps.rateLimiter.counting(principal: principal, clientIP: context.clientIP)
        ) { (decision: RateLimitDecision) -> (Response, completing: Idempotency.Also<Int64>?) in
          var headers = Self.rateLimitHeaders(decision)
          headers[.contentType] = nil
          let (device, _) = try await lamps.authorisedDevice(deviceID, principal: principal, action: .control)
          let issuer = CommandService.Issuer(principal: principal)
          let published: CommandService.Published
          do {
            guard !waitForAck else {
              let result = try await commands.execute(
                device: device, action: action, requestId: requestID, issuer: issuer, waitForAck: true)
              return (try EnvelopeResponse.success(result, requestID: context.requestID, headers: headers), nil)
            }
            published = try await commands.publish(
              device: device, action: action, requestId: requestID, issuer: issuer, waitForAck: false)
          } catch is BrokerUnavailable {
            throw APIError.brokerUnavailable()
          }
          issued = published
          answerHeaders = headers
          let log = published.log
          let response = try EnvelopeResponse.success(
            commands.result(published, published.known), requestID: context.requestID, headers: headers)
          return (response, { conn in try CommandLogRepository.insert(log, now: log.issuedAt, conn) })
        }
        if let issued, let written { commands.rowWritten(issued, id: written) }
        return response
      }
    } catch {
      // The command went out: its audit row is written even when the answer's record cannot be. A database that
      // cannot take the row now (disk full) gets it later, and the answer is the command's as it went out, so the
      // audit log and the answers match one to one; a row that cannot be written at all leaves the command
      // unannounced and the request failed.
      guard let issued else { throw error }
      if let failure = error as? SQLError, failure.isUnavailable {
        commands.deferRow(issued, failure)
        return try EnvelopeResponse.success(
          commands.result(issued, issued.known), requestID: context.requestID, headers: answerHeaders)
      }
      _ = try? await commands.writeRow(issued)
      throw error
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
