import Hummingbird
import SmartLampCore
import SmartLampStore
import Tasmota

/// `/api/v1/devices…` and `/api/v1/status` (UPSTREAM §5.4, §5.7 with CONTRACT §5's changes: the submitted id is
/// kept, an invalid channel is a 400, delete really deletes in one transaction). `hmacSecret` (issue #11) is
/// write-only: the device shows `hasSecret`, never the secret.
struct DeviceRoutes: Sendable {
  let lamps: LampServices
  var administration: DeviceAdministration { lamps.administration }

  static let nameLengths = 1...120
  static let locationLengths = 1...120

  func add(to api: RouterGroup<AuthenticatedContext>) {
    api.get("devices", use: list)
    api.post("devices", use: create)
    api.get("devices/:deviceId", use: show)
    api.patch("devices/:deviceId", use: update)
    api.delete("devices/:deviceId", use: delete)
    api.get("devices/:deviceId/status", use: deviceStatus)
    api.get("devices/:deviceId/usage", use: usage)
    api.get("status", use: statusList)
  }

  func list(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.listDevices)
    let visible = try await lamps.visibleDevices(for: context.principal)
    return try EnvelopeResponse.success(
      visible.map { json($0.device, grant: $0.grant) }, requestID: context.requestID)
  }

  func show(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(scope: .read)
    let (device, grant) = try await lamps.authorisedDevice(
      try context.parameters.require("deviceId"), context: context, action: .view)
    return try EnvelopeResponse.success(json(device, grant: grant), requestID: context.requestID)
  }

  func deviceStatus(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(scope: .read)
    let (device, _) = try await lamps.authorisedDevice(
      try context.parameters.require("deviceId"), context: context, action: .view)
    let lastCommands = try await lamps.commandLogs.lastCommands()
    return try EnvelopeResponse.success(
      lamps.state.status(of: device, lastCommand: lastCommands[device.id]), requestID: context.requestID)
  }

  /// What a delete would take with it (issue #8: the delete dialog names it). Admins, as delete.
  func usage(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.createOrDeleteDevice)
    let id = try context.parameters.require("deviceId")
    guard let device = try await lamps.knownDevice(publicID: id) else { throw APIError.deviceNotFound(id) }
    struct Usage: Encodable {
      let deviceId: String
      let usage: DeviceUsage
      func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(deviceId, forKey: .deviceId)
        try usage.encode(to: encoder)
      }
      enum Keys: String, CodingKey { case deviceId }
    }
    let usage = try await administration.usage(of: device)
    return try EnvelopeResponse.success(Usage(deviceId: device.deviceId, usage: usage), requestID: context.requestID)
  }

  func statusList(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.listDevices)
    let visible = try await lamps.visibleDevices(for: context.principal)
    let lastCommands = try await lamps.commandLogs.lastCommands()
    let statuses = visible.map { lamps.state.status(of: $0.device, lastCommand: lastCommands[$0.device.id]) }
    return try EnvelopeResponse.success(statuses, requestID: context.requestID)
  }

  func create(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.createOrDeleteDevice)
    var fields = try await request.bodyFields()
    let deviceID = fields.deviceID("deviceId", required: true)
    let mqttID = fields.deviceID("mqttDeviceId")
    let name = fields.text("name", lengths: Self.nameLengths, required: true)
    let location = Self.location(&fields).value
    let channel = Self.channel(&fields)
    let secret = Self.secret(&fields).value
    if secret != nil, let id = mqttID ?? deviceID, !NativeIdentifier.isValid(id.rawValue) {
      fields.add("hmacSecret", Self.unsignableMessage)
    }
    try fields.finish()
    guard let deviceID, let name else { throw APIError.validation() }
    return try await lamps.idempotency.perform(
      request, context: context, principal: context.principal, body: fields.raw, required: true
    ) {
      let device = try await administration.create(
        NewDevice(
          deviceId: deviceID, mqttDeviceId: mqttID ?? deviceID, name: name, location: location,
          commandChannel: CommandChannel(tasmota: channel ?? .power), hmacSecret: secret),
        owner: context.principal.effectiveUserId)
      return try EnvelopeResponse.success(
        json(device, grant: .full), status: .created, requestID: context.requestID)
    }
  }

  func update(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    let id = try context.parameters.require("deviceId")
    var fields = try await request.bodyFields()
    let name = fields.text("name", lengths: Self.nameLengths)
    let location = Self.location(&fields)
    let channel = Self.channel(&fields)
    let secret = Self.secret(&fields)
    if fields.errors.isEmpty && name == nil && location.isKeep && channel == nil && secret.isKeep {
      fields.add("body", "At least one editable field is required")
    }
    try fields.finish()
    return try await lamps.idempotency.perform(
      request, context: context, principal: context.principal, body: fields.raw, required: true
    ) {
      let (device, grant) = try await lamps.authorisedDevice(id, context: context, action: .manage)
      let changes = DeviceChanges(
        name: name, location: location.isKeep ? nil : .some(location.value),
        commandChannel: channel.map(CommandChannel.init(tasmota:)),
        hmacSecret: secret.isKeep ? nil : .some(secret.value))
      let updated = try await administration.update(device, changes)
      return try EnvelopeResponse.success(json(updated, grant: grant), requestID: context.requestID)
    }
  }

  func delete(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.createOrDeleteDevice)
    let id = try context.parameters.require("deviceId")
    return try await lamps.idempotency.perform(
      request, context: context, principal: context.principal, body: nil, required: true
    ) {
      guard let device = try await lamps.knownDevice(publicID: id) else { throw APIError.deviceNotFound(id) }
      try await administration.delete(device)
      struct Deleted: Encodable {
        let deleted: Bool
        let deviceId: String
      }
      return try EnvelopeResponse.success(Deleted(deleted: true, deviceId: id), requestID: context.requestID)
    }
  }

  private func json(_ device: LampDevice, grant: DeviceGrant) -> DeviceJSON {
    DeviceJSON(device, grant: grant, state: lamps.state)
  }

  // MARK: fields

  static let unsignableMessage = "needs an mqttDeviceId of 1–64 characters A-Z a-z 0-9 . _ : - (signed commands)"

  /// `hmacSecret`: absent keeps; null clears; otherwise 16–128 printable ASCII characters without spaces, taken as
  /// sent (never trimmed: every byte is part of the key).
  static func secret(_ fields: inout BodyFields) -> Patch<DeviceSecret> {
    fields.patch("hmacSecret") { fields in
      guard let text = fields.string("hmacSecret") else { return nil }
      do {
        return try DeviceSecret(text)
      } catch let problem as DeviceSecret.Problem {
        fields.add("hmacSecret", problem.message)
        return nil
      } catch {
        return nil
      }
    }
  }

  /// `location`: absent keeps; null or empty (after trimming) clears; otherwise 1–120 characters.
  static func location(_ fields: inout BodyFields) -> Patch<String> {
    if case .string(let text) = fields.value("location"), text.allSatisfy(\.isWhitespace) { return .clear }
    return fields.patch("location") { $0.text("location", lengths: locationLengths) }
  }

  /// `commandChannel`: absent or null → nil (POWER on create); otherwise it must be valid.
  static func channel(_ fields: inout BodyFields) -> TasmotaChannel? {
    guard let text = fields.string("commandChannel") else { return nil }
    guard let channel = TasmotaChannel(parsing: text) else {
      fields.add("commandChannel", "must be POWER or POWER1…POWER\(TasmotaChannel.maximumIndex)")
      return nil
    }
    return channel
  }
}
