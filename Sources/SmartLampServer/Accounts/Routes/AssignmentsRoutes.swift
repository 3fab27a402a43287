import Hummingbird
import SmartLampCore
import SmartLampStore

/// `GET/PUT /api/v1/users/{userId}/assignments` (upstream-spec §5.9): a member's per-device permissions. PUT
/// replaces them all in one transaction and pauses the member's schedules on devices they may no longer manage.
struct AssignmentsRoutes: Sendable {
  let services: AppServices
  var accounts: AccountsServices { services.accounts }
  static let maximumEntries = 500

  func show(_ request: Request, context: AppRequestContext) async throws -> Response {
    _ = try context.authorize(.manageUsers)
    let userId = try context.idParameter("userId")
    guard let user = try await accounts.store.users.byId(userId).map(AccountUser.init) else {
      throw APIError.userNotFound()
    }
    let devices = try await accounts.store.assignments.devices(withGrantOf: userId)
    let entries: [JSONValue] = devices.map { entry in
      let device = entry.device
      return [
        "deviceId": .string(device.deviceId), "name": .string(device.name), "location": JSONValue(device.location),
        "commandChannel": .string(device.storedChannel), "assigned": .bool(entry.grant != nil),
        "devicePermission": .string((entry.grant?.devicePermission ?? .monitoring).rawValue),
        "schedulePermission": .string((entry.grant?.schedulePermission ?? .none).rawValue),
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
    do {
      _ = try await accounts.store.assignments.replaceAll(
        userId: userId, with: wanted.map { AssignmentInput(deviceId: $0.deviceId, grant: $0.grant) },
        by: caller.principal.effectiveUserId)
    } catch let error as StoreError {
      switch error {
      case .userNotFound: throw APIError.userNotFound()
      case .notAMember: throw APIError.rule("Only member users can receive assignments")
      case .userArchived: throw APIError.rule("Archived user must be restored before assignment")
      case .duplicateAssignment(let deviceId):
        throw APIError.rule("Duplicate device assignment", details: ["deviceId": .string(deviceId)])
      case .deviceNotFound(let deviceId):
        throw APIError(
          .notFound, code: "DEVICE_NOT_FOUND", message: "Device not found", details: ["deviceId": .string(deviceId)])
      case .invalidGrant(let deviceId):
        throw APIError.rule(
          "Schedule manage requires device control or manage permission", details: ["deviceId": .string(deviceId)])
      default: throw error
      }
    }
    accounts.accessChanges.changed()
    // Answered in request order, as submitted.
    let stored = wanted
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

extension DeviceRecord {
  /// The stored command channel text as the accounts answers show it (blank reads as `POWER`).
  var storedChannel: String { commandChannelText.isEmpty ? "POWER" : commandChannelText }
}
