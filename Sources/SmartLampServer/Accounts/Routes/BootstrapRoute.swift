import Hummingbird
import SmartLampCore
import SmartLampStore

/// `GET /api/v1/bootstrap` (upstream-spec §5.3): who the caller is and the devices it may see, with the rights it
/// effectively holds on each. Anonymous callers get 401 so the dashboard refreshes (CONTRACT §5).
struct BootstrapRoute: Sendable {
  let services: AppServices

  func add(to group: RouterGroup<AppRequestContext>) {
    group.get("bootstrap", use: bootstrap)
  }

  struct DeviceEntry: Encodable {
    let id: String
    let name: String
    let location: String?
    let commandChannel: String
    let devicePermission: String
    let schedulePermission: String

    func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(id, forKey: .id)
      try c.encode(name, forKey: .name)
      try c.encode(location, forKey: .location)
      try c.encode(commandChannel, forKey: .commandChannel)
      try c.encode(devicePermission, forKey: .devicePermission)
      try c.encode(schedulePermission, forKey: .schedulePermission)
    }
    enum CodingKeys: String, CodingKey {
      case id, name, location, commandChannel, devicePermission, schedulePermission
    }
  }

  struct Payload: Encodable {
    let devices: [DeviceEntry]
    let viewer: JSONValue
    let realtime: JSONValue
  }

  func bootstrap(_ request: Request, context: AppRequestContext) async throws -> Response {
    let caller = try context.authorize(.listDevices)
    let principal = caller.principal
    let devices = try await services.accounts.visibleDevices(for: principal)
    let viewer: JSONValue
    switch principal {
    case .user(let user):
      viewer = [
        "kind": "user", "id": .int(Int(user.id)), "name": .string(user.name), "email": .string(user.email),
        "role": .string(user.role.rawValue),
      ]
    case .apiKey(let key):
      viewer = ["kind": "client", "id": .int(Int(key.clientId)), "name": .string(key.name)]
    }
    let payload = Payload(
      devices: devices.map {
        DeviceEntry(
          id: $0.device.device.deviceId, name: $0.device.device.name, location: $0.device.device.location,
          commandChannel: $0.device.device.storedChannel, devicePermission: $0.grant.devicePermission.rawValue,
          schedulePermission: $0.grant.schedulePermission.rawValue)
      },
      viewer: viewer, realtime: ["mode": "proxy_sse", "streamPath": "/api/v1/realtime/stream"])
    return try EnvelopeResponse.success(payload, requestID: context.requestID)
  }
}

extension AccountsServices {
  /// The devices `principal` may see, each with the rights it effectively holds (``Authorization`` decides).
  func visibleDevices(for principal: Principal) async throws -> [(device: DeviceWithGrant, grant: DeviceGrant)] {
    let userId = principal.effectiveUserId
    let all = try await store.assignments.devices(withGrantOf: userId)
    return all.compactMap { device in
      Authorization.effectiveGrant(principal, assignment: device.grant).map { (device, $0) }
    }
  }
}
