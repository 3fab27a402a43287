import Hummingbird
import SmartLampCore

/// A device as the devices API shows it (UPSTREAM §5.7, plus `mqttDeviceId`, the `profile` it was heard
/// speaking, null until then, and whether it has a signing secret — never the secret). Issue #8 adds what the
/// administrator's lamp screen shows: the topic commands go to, when the device was last heard and since when it
/// has been online or offline (epoch ms, null while unknown).
struct DeviceJSON: Encodable, Sendable {
  let id: String
  let name: String
  @NullEncoded var location: String?
  let commandChannel: String
  let mqttDeviceId: String
  let devicePermission: String
  let schedulePermission: String
  @NullEncoded var profile: String?
  let hasSecret: Bool
  let commandTopic: String
  @NullEncoded var lastSeenAt: Int64?
  @NullEncoded var onlineChangedAt: Int64?

  init(_ device: LampDevice, grant: DeviceGrant, state: DeviceStateService) {
    id = device.deviceId
    name = device.name
    location = device.location
    commandChannel = device.channel.name
    mqttDeviceId = device.mqttDeviceId
    devicePermission = grant.devicePermission.rawValue
    schedulePermission = grant.schedulePermission.rawValue
    profile = state.profile(of: device)?.rawValue
    hasSecret = device.secret != nil
    commandTopic = state.commandTopic(of: device)
    let presence = state.presence(of: device)
    lastSeenAt = presence.lastSeenAt
    onlineChangedAt = presence.onlineChangedAt
  }

  /// Every field given, for tests that hold the writer to Foundation's encoder.
  init(
    id: String, name: String, location: String?, commandChannel: String, mqttDeviceId: String,
    devicePermission: String, schedulePermission: String, profile: String?, hasSecret: Bool, commandTopic: String,
    lastSeenAt: Int64?, onlineChangedAt: Int64?
  ) {
    self.id = id
    self.name = name
    _location = NullEncoded(wrappedValue: location)
    self.commandChannel = commandChannel
    self.mqttDeviceId = mqttDeviceId
    self.devicePermission = devicePermission
    self.schedulePermission = schedulePermission
    _profile = NullEncoded(wrappedValue: profile)
    self.hasSecret = hasSecret
    self.commandTopic = commandTopic
    _lastSeenAt = NullEncoded(wrappedValue: lastSeenAt)
    _onlineChangedAt = NullEncoded(wrappedValue: onlineChangedAt)
  }
}

extension LampServices {
  /// Looks a device up by public id and checks that the caller may do `action` on it (404, then 403).
  func authorisedDevice(_ id: String, context: AuthenticatedContext, action: Authorization.DeviceAction)
    async throws -> (device: LampDevice, grant: DeviceGrant)
  {
    try await authorisedDevice(id, principal: context.principal, action: action)
  }

  /// As above for a principal (the scheduler acts for a schedule's owner without a request).
  func authorisedDevice(_ id: String, principal: Principal, action: Authorization.DeviceAction) async throws
    -> (device: LampDevice, grant: DeviceGrant)
  {
    guard let device = try await knownDevice(publicID: id) else { throw APIError.deviceNotFound(id) }
    let assignment = try await grant(of: principal, on: device)
    if case .denied(let denial) = Authorization.check(action, principal: principal, assignment: assignment) {
      throw APIError(denial)
    }
    guard let effective = Authorization.actingGrant(principal, assignment: assignment) else {
      throw APIError(.deviceAccess)
    }
    return (device, effective)
  }
}
