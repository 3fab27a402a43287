import Hummingbird
import SmartLampCore

/// A device as the devices API shows it (upstream-spec §5.7, plus `mqttDeviceId`, the `profile` it was heard
/// speaking, null until then, and whether it has a signing secret — never the secret).
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

  init(_ device: LampDevice, grant: DeviceGrant, profile: DeviceProfile?) {
    id = device.deviceId
    name = device.name
    location = device.location
    commandChannel = device.channel.name
    mqttDeviceId = device.mqttDeviceId
    devicePermission = grant.devicePermission.rawValue
    schedulePermission = grant.schedulePermission.rawValue
    self.profile = profile?.rawValue
    hasSecret = device.secret != nil
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
    guard let device = state.device(publicID: id) else { throw APIError.deviceNotFound(id) }
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

// MARK: - the older route dialect, kept until every route reads bodies with `BodyFields`

enum LampErrors {
  static let noAccess = APIError(.deviceAccess)

  static func brokerUnavailable(_ reason: String) -> APIError { .brokerUnavailable() }

  static func require(_ decision: Authorization.Decision) throws(APIError) {
    if case .denied(let denial) = decision { throw APIError(denial) }
  }
}

extension JSONValue {
  /// The members of an object body; a non-object body is a validation error.
  func objectMembers() throws -> [String: JSONValue] {
    guard case .object(let members) = self else {
      throw APIError.validation(fieldErrors: ["body": ["must be a JSON object"]])
    }
    return members
  }
}

/// Reads one optional text member: absent → `.absent`, `null` → `.null`, text → `.text`, else a field error.
enum TextMember: Equatable {
  case absent
  case null
  case text(String)

  init(_ members: [String: JSONValue], _ field: String, errors: inout FieldErrors) {
    switch members[field] {
    case .none: self = .absent
    case .some(.null): self = .null
    case .some(.string(let text)): self = .text(text)
    case .some:
      errors.add(field, "must be a string")
      self = .absent
    }
  }

  var text: String? {
    if case .text(let value) = self { return value }
    return nil
  }
}
