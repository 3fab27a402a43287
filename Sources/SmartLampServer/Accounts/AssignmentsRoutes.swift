import Hummingbird
import SmartLampCore

/// `GET/PUT /api/v1/users/{userId}/assignments` (upstream-spec §5.9): a member's per-device permissions. PUT
/// replaces them all in one transaction and pauses the member's schedules on devices they may no longer manage.
struct AssignmentsRoutes: Sendable {
  let services: AppServices
  var accounts: AccountsServices { services.accounts }
  static let maximumEntries = 500

  func show(_ request: Request, context: AppRequestContext) async throws -> Response {
    _ = try context.authorize(.manageUsers)
    let userId = try context.idParameter("userId")
    let (user, devices) = try await accounts.store.database.read { conn in
      (
        try AccountsStore.user(id: userId, in: conn),
        try AccountsStore.devices(withAssignmentOf: userId, in: conn)
      )
    }
    guard let user else { throw APIError.userNotFound() }
    let entries: [JSONValue] = devices.map { device in
      [
        "deviceId": .string(device.deviceId), "name": .string(device.name), "location": JSONValue(device.location),
        "commandChannel": .string(device.commandChannel), "assigned": .bool(device.assignment != nil),
        "devicePermission": .string((device.assignment?.devicePermission ?? .monitoring).rawValue),
        "schedulePermission": .string((device.assignment?.schedulePermission ?? .none).rawValue),
      ]
    }
    struct Payload: Encodable {
      let user: UserSummary
      let assignments: [JSONValue]
    }
    return try EnvelopeResponse.success(
      Payload(user: UserSummary(user), assignments: entries), requestID: context.requestID)
  }

  struct Body: Decodable {
    struct Entry: Decodable {
      let deviceId: String?
      let assigned: Bool?
      let devicePermission: String?
      let schedulePermission: String?
    }
    let assignments: [Entry]?
  }

  struct Wanted: Sendable {
    let deviceId: String
    let grant: DeviceGrant
  }

  func replace(_ request: Request, context: AppRequestContext) async throws -> Response {
    let caller = try context.authorize(.manageUsers)
    let userId = try context.idParameter("userId")
    let body = try await request.jsonBody().decode(Body.self)
    var errors = FieldErrors()
    var entries: [(deviceId: String, assigned: Bool, device: DevicePermission, schedule: SchedulePermission)] = []
    if let list = body.assignments {
      if list.count > Self.maximumEntries {
        errors.add("assignments", "must contain at most \(Self.maximumEntries) entries")
      }
      for (index, entry) in list.prefix(Self.maximumEntries).enumerated() {
        let prefix = "assignments[\(index)]"
        let deviceId = Validation.text(
          entry.deviceId, field: prefix + ".deviceId", lengths: 1...191, into: &errors)
        let device = Validation.choice(
          entry.devicePermission, field: prefix + ".devicePermission", as: DevicePermission.self, required: false,
          into: &errors)
        let schedule = Validation.choice(
          entry.schedulePermission, field: prefix + ".schedulePermission", as: SchedulePermission.self,
          required: false, into: &errors)
        if let deviceId {
          entries.append((deviceId, entry.assigned ?? true, device ?? .monitoring, schedule ?? .none))
        }
      }
    } else {
      errors.add("assignments", "is required")
    }
    try errors.throwIfInvalid()

    let wanted = entries.filter(\.assigned).map {
      Wanted(deviceId: $0.deviceId, grant: DeviceGrant(devicePermission: $0.device, schedulePermission: $0.schedule))
    }
    let assignedBy = caller.principal.effectiveUserId ?? 0
    let stored: [Wanted] = try await accounts.store.database.write { conn in
      guard let target = try AccountsStore.user(id: userId, in: conn) else { throw APIError.userNotFound() }
      if target.role != .member { throw APIError.rule("Only member users can receive assignments") }
      if target.isArchived { throw APIError.rule("Archived user must be restored before assignment") }
      let devices = try AccountsStore.devices(withAssignmentOf: nil, in: conn)
      let byId = Dictionary(devices.map { ($0.deviceId, $0) }, uniquingKeysWith: { first, _ in first })
      var rows: [(internalId: Int64, grant: DeviceGrant)] = []
      var result: [Wanted] = []
      var seen: Set<String> = []
      for entry in wanted {
        guard seen.insert(entry.deviceId).inserted else {
          throw APIError.rule("Duplicate device assignment", details: ["deviceId": .string(entry.deviceId)])
        }
        guard let device = byId[entry.deviceId] else {
          throw APIError(
            .notFound, code: "DEVICE_NOT_FOUND", message: "Device not found",
            details: ["deviceId": .string(entry.deviceId)])
        }
        guard entry.grant.isValid else {
          throw APIError.rule(
            "Schedule manage requires device control or manage permission",
            details: ["deviceId": .string(entry.deviceId)])
        }
        rows.append((device.internalId, entry.grant))
        result.append(entry)
      }
      try AccountsStore.replaceAssignments(userId: target.id, with: rows, assignedBy: assignedBy, in: conn)
      return result
    }
    let data: JSONValue = [
      "userId": .int(Int(userId)),
      "assignments": .array(
        stored.map {
          [
            "deviceId": .string($0.deviceId), "assigned": true,
            "devicePermission": .string($0.grant.devicePermission.rawValue),
            "schedulePermission": .string($0.grant.schedulePermission.rawValue),
          ]
        }),
    ]
    return try EnvelopeResponse.success(data, requestID: context.requestID)
  }
}
