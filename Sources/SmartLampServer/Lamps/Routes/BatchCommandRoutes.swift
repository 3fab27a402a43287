import HTTPTypes
import Hummingbird
import SmartLampCore
import SmartLampStore

/// `POST /api/v1/commands/batch`: up to 1 000 `{deviceId, action}` items under one `Idempotency-Key` and one
/// rate-limit hit (so "Matikan semua" in a room of 40 lamps is not stopped by the per-person command limit); each
/// item is authorised, published, audited and acknowledged on its own (``BatchCommands``).
struct BatchCommandRoutes: Sendable {
  let lamps: LampServices
  var batch: BatchCommands { BatchCommands(lamps: lamps) }

  /// Item request ids are `<Idempotency-Key>:<index>` and must fit the audit log's 255 characters.
  static let maximumKeyLength = 250

  func add(to api: RouterGroup<AuthenticatedContext>) {
    api.post("commands/batch", use: run)
  }

  func run(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorizeActing(scope: .command)
    var fields = try await request.bodyFields()
    let items = Self.items(&fields)
    let waitForAck = fields.bool("waitForAck") ?? true
    let idempotencyKey = request.headers[Idempotency.keyHeader]?.trimmingCharacters(in: .whitespaces) ?? ""
    if idempotencyKey.count > Self.maximumKeyLength {
      fields.add("Idempotency-Key", "must be at most \(Self.maximumKeyLength) characters on a batch")
    }
    try fields.finish()
    guard let items else { throw APIError.validation() }
    let principal = context.principal
    return try await SQLWritePriority.$latencyCritical.withValue(true) {
      try await lamps.idempotency.perform(
        request, context: context, principal: principal, body: fields.raw, required: true,
        // One hit for the whole batch, in the same bucket as single commands.
        claiming: lamps.rateLimiter.counting(principal: principal, clientIP: context.clientIP)
      ) { (decision: RateLimitDecision) -> (Response, completing: Idempotency.Also<Void>?) in
        let outcomes = try await batch.run(
          items, requestIdPrefix: idempotencyKey, principal: principal, waitForAck: waitForAck)
        struct Results: Encodable {
          let items: [BatchCommands.Outcome]
        }
        let response = try EnvelopeResponse.success(
          Results(items: outcomes), requestID: context.requestID, headers: CommandRoutes.rateLimitHeaders(decision))
        return (response, nil)
      }.response
    }
  }

  /// Reads `items`: 1…1 000 objects `{deviceId, action}`, each device at most once (two commands for one lamp in
  /// one batch would race each other). At most ``maximumItemErrors`` items are reported.
  static func items(_ fields: inout BodyFields) -> [BatchCommands.Item]? {
    guard let values = fields.array("items", maximumCount: BatchCommands.maximumItems, required: true) else {
      return nil
    }
    guard !values.isEmpty else {
      fields.add("items", "must contain at least 1 entry")
      return nil
    }
    var items: [BatchCommands.Item] = []
    var seen: [String: Int] = [:]
    var invalid = 0
    for (index, value) in values.enumerated() {
      let field = "items[\(index)]"
      var problems: [(String, String)] = []
      var deviceId: String?
      var action: PowerAction?
      if case .object(let members) = value {
        switch members["deviceId"] {
        case .some(.string(let text)):
          var errors = FieldErrors()
          deviceId = Validation.text(
            text, field: "\(field).deviceId", lengths: 1...DeviceID.maximumLength, into: &errors)
          problems += errors.errors.flatMap { entry in entry.value.map { (entry.key, $0) } }
        case .none, .some(.null): problems.append(("\(field).deviceId", "is required"))
        default: problems.append(("\(field).deviceId", "must be a string"))
        }
        switch members["action"] {
        case .some(.string(let text)):
          action = PowerAction(parsing: text)
          if action == nil { problems.append(("\(field).action", "must be ON or OFF")) }
        case .none, .some(.null): problems.append(("\(field).action", "is required"))
        default: problems.append(("\(field).action", "must be ON or OFF"))
        }
      } else {
        problems.append((field, "must be an object {deviceId, action}"))
      }
      if let deviceId {
        if let first = seen[deviceId] {
          problems.append(("\(field).deviceId", "names the same lamp as items[\(first)]"))
        } else {
          seen[deviceId] = index
        }
      }
      guard problems.isEmpty, let deviceId, let action else {
        invalid += 1
        if invalid <= maximumItemErrors {
          for (key, message) in problems { fields.add(key, message) }
        }
        continue
      }
      items.append(BatchCommands.Item(deviceId: deviceId, action: action))
    }
    if invalid > maximumItemErrors {
      fields.add("items", "\(invalid) entries are invalid; the first \(maximumItemErrors) are listed")
    }
    return invalid == 0 ? items : nil
  }

  static let maximumItemErrors = 20
}
