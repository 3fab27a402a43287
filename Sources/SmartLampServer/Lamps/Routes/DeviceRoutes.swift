import Foundation
import HTTPTypes
import Hummingbird
import SmartLampCore
import SmartLampStore
import Tasmota

/// `/api/v1/devices…` and `/api/v1/status` (upstream-spec §5.4, §5.7 with CONTRACT §5's changes: the submitted id is
/// kept, an invalid channel is a 400, delete really deletes in one transaction).
struct DeviceRoutes {
  let lamps: LampServices

  static let nameLengths = 1...120
  static let locationLengths = 0...120

  func addRoutes(to router: Router<AppRequestContext>) {
    router.get("/api/v1/devices", use: list)
    router.post("/api/v1/devices", use: create)
    router.get("/api/v1/devices/:deviceId", use: show)
    router.patch("/api/v1/devices/:deviceId", use: update)
    router.delete("/api/v1/devices/:deviceId", use: delete)
    router.get("/api/v1/devices/:deviceId/status", use: deviceStatus)
    router.get("/api/v1/status", use: statusList)
  }

  @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
    let principal = try context.requirePrincipal(scope: .read)
    try LampErrors.require(Authorization.check(.listDevices, principal: principal))
    let visible = try await lamps.visibleDevices(for: principal)
    return try EnvelopeResponse.success(
      visible.map { DeviceJSON($0.device, grant: $0.grant) }, requestID: context.requestID)
  }

  @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
    let principal = try context.requirePrincipal(scope: .read)
    let id = try context.parameters.require("deviceId")
    let (device, grant) = try await lamps.authorisedDevice(id, principal: principal, action: .view)
    return try EnvelopeResponse.success(DeviceJSON(device, grant: grant), requestID: context.requestID)
  }

  @Sendable func deviceStatus(_ request: Request, context: AppRequestContext) async throws -> Response {
    let principal = try context.requirePrincipal(scope: .read)
    let id = try context.parameters.require("deviceId")
    let (device, _) = try await lamps.authorisedDevice(id, principal: principal, action: .view)
    let lastCommands = try await lamps.commandLogs.lastCommands()
    return try EnvelopeResponse.success(
      lamps.state.status(of: device, lastCommand: lastCommands[device.id]), requestID: context.requestID)
  }

  @Sendable func statusList(_ request: Request, context: AppRequestContext) async throws -> Response {
    let principal = try context.requirePrincipal(scope: .read)
    try LampErrors.require(Authorization.check(.listDevices, principal: principal))
    let visible = try await lamps.visibleDevices(for: principal)
    let lastCommands = try await lamps.commandLogs.lastCommands()
    let statuses = visible.map { lamps.state.status(of: $0.device, lastCommand: lastCommands[$0.device.id]) }
    return try EnvelopeResponse.success(statuses, requestID: context.requestID)
  }

  @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
    let principal = try context.requirePrincipal()
    try LampErrors.require(Authorization.check(.createOrDeleteDevice, principal: principal.principal))
    let body = try await request.jsonBody()
    let members = try body.decode(JSONValue.self).objectMembers()
    var errors = FieldErrors()
    let deviceID = Self.deviceID(members, "deviceId", required: true, errors: &errors)
    let mqttID = Self.deviceID(members, "mqttDeviceId", required: false, errors: &errors)
    let name = Validation.text(
      TextMember(members, "name", errors: &errors).text, field: "name", lengths: Self.nameLengths, into: &errors)
    let location = Self.location(members, errors: &errors)
    let channel = Self.channel(members, errors: &errors)
    guard errors.isEmpty, let deviceID, let name else {
      throw APIError.validation(fieldErrors: errors.errors)
    }
    return try await lamps.idempotency.perform(
      request, context: context, principal: principal.principal, body: body.raw, required: true
    ) {
      let new = NewDevice(
        deviceId: deviceID, mqttDeviceId: mqttID ?? deviceID, name: name, location: location ?? nil,
        commandChannel: CommandChannel(tasmota: channel ?? .power))
      let device: LampDevice
      do {
        device = LampDevice(
          try await lamps.store.devices.create(new, ownerUserId: principal.principal.effectiveUserId))
      } catch StoreError.duplicate {
        throw APIError(
          .conflict, code: "ALREADY_EXISTS", message: "Device ID already exists",
          details: ["deviceId": .string(deviceID.rawValue)])
      }
      try await lamps.reloadDevices()
      return try EnvelopeResponse.success(
        DeviceJSON(device, grant: .full), status: .created, requestID: context.requestID)
    }
  }

  @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
    let principal = try context.requirePrincipal()
    let id = try context.parameters.require("deviceId")
    let body = try await request.jsonBody()
    let members = try body.decode(JSONValue.self).objectMembers()
    var errors = FieldErrors()
    let nameMember = TextMember(members, "name", errors: &errors)
    var name: String?
    if nameMember != .absent {
      name = Validation.text(nameMember.text, field: "name", lengths: Self.nameLengths, into: &errors)
    }
    let location = Self.location(members, errors: &errors)
    let channel = Self.channel(members, errors: &errors)
    if errors.isEmpty && nameMember == .absent && location == nil && channel == nil {
      throw APIError.validation(
        "Validation failed", fieldErrors: ["body": ["At least one editable field is required"]])
    }
    guard errors.isEmpty else { throw APIError.validation(fieldErrors: errors.errors) }
    return try await lamps.idempotency.perform(
      request, context: context, principal: principal.principal, body: body.raw, required: true
    ) {
      let (device, grant) = try await lamps.authorisedDevice(id, principal: principal.principal, action: .manage)
      let updated: LampDevice
      do {
        updated = LampDevice(
          try await lamps.store.devices.update(
            device.deviceId,
            DeviceChanges(name: name, location: location, commandChannel: channel.map(CommandChannel.init(tasmota:)))))
      } catch StoreError.deviceNotFound {
        throw LampErrors.deviceNotFound(id)
      }
      try await lamps.reloadDevices()
      return try EnvelopeResponse.success(DeviceJSON(updated, grant: grant), requestID: context.requestID)
    }
  }

  @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
    let principal = try context.requirePrincipal()
    try LampErrors.require(Authorization.check(.createOrDeleteDevice, principal: principal.principal))
    let id = try context.parameters.require("deviceId")
    return try await lamps.idempotency.perform(
      request, context: context, principal: principal.principal, body: nil, required: true
    ) {
      guard let device = lamps.state.device(publicID: id), try await lamps.store.devices.delete(device.deviceId) else {
        throw LampErrors.deviceNotFound(id)
      }
      try await lamps.reloadDevices()
      struct Deleted: Encodable {
        let deleted: Bool
        let deviceId: String
      }
      return try EnvelopeResponse.success(Deleted(deleted: true, deviceId: id), requestID: context.requestID)
    }
  }

  // MARK: fields

  /// A device id: trimmed, no MQTT wildcards, `/`, spaces or control characters (``DeviceID``).
  static func deviceID(_ members: [String: JSONValue], _ field: String, required: Bool, errors: inout FieldErrors)
    -> DeviceID?
  {
    let member = TextMember(members, field, errors: &errors)
    if member == .null && !required { return nil }
    return Validation.deviceID(member.text, field: field, required: required, into: &errors)
  }

  /// `location`: absent → nil; null or empty → `.some(nil)` (cleared); text → trimmed, at most 120.
  static func location(_ members: [String: JSONValue], errors: inout FieldErrors) -> String?? {
    switch TextMember(members, "location", errors: &errors) {
    case .absent: return nil
    case .null: return .some(nil)
    case .text(let text):
      let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
      if trimmed.isEmpty { return .some(nil) }
      guard let value = Validation.text(trimmed, field: "location", lengths: 1...120, into: &errors) else {
        return nil
      }
      return .some(value)
    }
  }

  /// `commandChannel`: absent or null → nil (POWER on create), otherwise it must be valid (400 otherwise).
  static func channel(_ members: [String: JSONValue], errors: inout FieldErrors) -> TasmotaChannel? {
    guard let text = TextMember(members, "commandChannel", errors: &errors).text else { return nil }
    guard let channel = TasmotaChannel(parsing: text) else {
      errors.add("commandChannel", "must be POWER or POWER1…POWER\(TasmotaChannel.maximumIndex)")
      return nil
    }
    return channel
  }
}
