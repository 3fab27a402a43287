import Hummingbird
import SmartLampCore
import SmartLampStore

/// `GET/PUT /api/v1/users/{userId}/assignments` (UPSTREAM §5.9): a member's per-device permissions. PUT
/// replaces them all in one transaction and pauses the member's schedules on devices they may no longer manage.
struct AssignmentsRoutes: Sendable {
  let accounts: AccountsServices
  var users: UserAdministration { accounts.users }

  static let maximumEntries = 500
  static let deviceIDLengths = 1...191

  func add(to api: RouterGroup<AuthenticatedContext>) {
    api.get("users/:userId/assignments", use: show)
    api.put("users/:userId/assignments", use: replace)
  }

  /// One device with what the user holds on it (every device is listed, assigned or not).
  struct DeviceAssignmentJSON: Encodable, Sendable {
    let deviceId: String
    let name: String
    @NullEncoded var location: String?
    let commandChannel: String
    let assigned: Bool
    let devicePermission: String
    let schedulePermission: String

    init(_ entry: DeviceWithGrant) {
      deviceId = entry.device.deviceId
      name = entry.device.name
      location = entry.device.location
      commandChannel = entry.device.storedChannel
      assigned = entry.grant != nil
      devicePermission = (entry.grant?.devicePermission ?? .monitoring).rawValue
      schedulePermission = (entry.grant?.schedulePermission ?? .none).rawValue
    }
  }

  /// An assignment as stored by PUT, in request order.
  struct AssignmentJSON: Encodable, Sendable {
    let deviceId: String
    let assigned = true
    let devicePermission: String
    let schedulePermission: String

    init(_ input: AssignmentInput) {
      deviceId = input.deviceId
      devicePermission = input.grant.devicePermission.rawValue
      schedulePermission = input.grant.schedulePermission.rawValue
    }
  }

  func show(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.manageUsers)
    let (user, devices) = try await users.assignments(of: try context.idParameter("userId"))
    struct Payload: Encodable {
      let user: UserSummary
      let assignments: [DeviceAssignmentJSON]
    }
    return try EnvelopeResponse.success(
      Payload(user: UserSummary(user), assignments: devices.map(DeviceAssignmentJSON.init)),
      requestID: context.requestID)
  }

  func replace(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.manageUsers)
    let userId = try context.idParameter("userId")
    var fields = try await request.bodyFields()
    let entries = fields.objects("assignments", maximumCount: Self.maximumEntries, required: true) { entry in
      let deviceId = entry.text("deviceId", lengths: Self.deviceIDLengths, required: true)
      let assigned = entry.bool("assigned") ?? true
      let grant = DeviceGrant(
        devicePermission: entry.choice("devicePermission", as: DevicePermission.self) ?? .monitoring,
        schedulePermission: entry.choice("schedulePermission", as: SchedulePermission.self) ?? SchedulePermission.none)
      // Unassigned entries only say what to leave out.
      return deviceId.map { assigned ? AssignmentInput(deviceId: $0, grant: grant) : nil }
    }
    try fields.finish()
    let wanted = (entries ?? []).compactMap { $0 }
    try await users.replaceAssignments(of: userId, with: wanted, by: context.principal.effectiveUserId)
    struct Payload: Encodable {
      let userId: Int64
      let assignments: [AssignmentJSON]
    }
    // Answered in request order, as submitted.
    return try EnvelopeResponse.success(
      Payload(userId: userId, assignments: wanted.map(AssignmentJSON.init)), requestID: context.requestID)
  }
}

extension DeviceRecord {
  /// The stored command channel text as the accounts answers show it (blank reads as `POWER`).
  var storedChannel: String { commandChannelText.isEmpty ? "POWER" : commandChannelText }
}
