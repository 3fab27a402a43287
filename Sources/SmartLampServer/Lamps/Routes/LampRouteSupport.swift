import Foundation
import HTTPTypes
import Hummingbird
import SmartLampCore

/// Errors and shapes shared by the lamp routes.
enum LampErrors {
  static func deviceNotFound(_ id: String) -> APIError {
    APIError(.notFound, code: "DEVICE_NOT_FOUND", message: "Device not found", details: ["deviceId": .string(id)])
  }

  static let noAccess = APIError(.forbidden, code: "FORBIDDEN_DEVICE_ACCESS", message: "No access to this device")

  static func brokerUnavailable(_ reason: String) -> APIError {
    var headers = HTTPFields()
    headers[.retryAfter] = "5"
    return APIError(
      .serviceUnavailable, code: "BROKER_UNAVAILABLE", message: "The MQTT broker is not available", headers: headers)
  }

  /// Turns a refusal of ``Authorization`` into its error (CONTRACT §2).
  static func denied(_ denial: Authorization.Denial) -> APIError {
    switch denial {
    case .missingScope(let scope):
      APIError(
        .forbidden, code: "FORBIDDEN_SCOPE", message: "Required scope is missing",
        details: ["scope": .string(scope.rawValue)])
    case .adminRequired: APIError(.forbidden, code: "FORBIDDEN_ADMIN_REQUIRED", message: "Admin role required")
    case .deviceAccess: noAccess
    case .userOnly:
      APIError(.forbidden, code: "FORBIDDEN_DEVICE_ACCESS", message: "User JWT required for this endpoint")
    }
  }

  static func require(_ decision: Authorization.Decision) throws(APIError) {
    if case .denied(let denial) = decision { throw denied(denial) }
  }
}

/// A device as the devices API shows it (upstream-spec §5.7, plus `mqttDeviceId`).
struct DeviceJSON: Encodable, Sendable {
  let id: String
  let name: String
  let location: String?
  let commandChannel: String
  let mqttDeviceId: String
  let devicePermission: String
  let schedulePermission: String

  init(_ device: LampDevice, grant: DeviceGrant) {
    id = device.deviceId
    name = device.name
    location = device.location
    commandChannel = device.channel.name
    mqttDeviceId = device.mqttDeviceId
    devicePermission = grant.devicePermission.rawValue
    schedulePermission = grant.schedulePermission.rawValue
  }

  enum CodingKeys: String, CodingKey {
    case id, name, location, commandChannel, mqttDeviceId, devicePermission, schedulePermission
  }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(id, forKey: .id)
    try container.encode(name, forKey: .name)
    try container.encode(location, forKey: .location)
    try container.encode(commandChannel, forKey: .commandChannel)
    try container.encode(mqttDeviceId, forKey: .mqttDeviceId)
    try container.encode(devicePermission, forKey: .devicePermission)
    try container.encode(schedulePermission, forKey: .schedulePermission)
  }
}

/// A paginated list (CONTRACT §5): `{items, nextCursor}`.
struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
  let items: [Item]
  let nextCursor: String?

  enum CodingKeys: String, CodingKey { case items, nextCursor }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(items, forKey: .items)
    try container.encode(nextCursor, forKey: .nextCursor)
  }
}

extension LampServices {
  /// Looks a device up by public id and checks that `principal` may do `action` on it (404, then 403).
  func authorisedDevice(_ id: String, principal: Principal, action: Authorization.DeviceAction) async throws
    -> (device: LampDevice, grant: DeviceGrant)
  {
    guard let device = state.device(publicID: id) else { throw LampErrors.deviceNotFound(id) }
    let assignment = try await grant(of: principal, on: device)
    try LampErrors.require(Authorization.check(action, principal: principal, assignment: assignment))
    guard let effective = Authorization.actingGrant(principal, assignment: assignment) else {
      throw LampErrors.noAccess
    }
    return (device, effective)
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
