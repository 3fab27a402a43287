import Hummingbird
import SmartLampCore

/// `GET /api/v1/bootstrap` (UPSTREAM §5.3): who the caller is and the devices it may see, each as
/// `GET /api/v1/devices` shows it, with the rights it effectively holds. Anonymous callers get 401 so the dashboard
/// refreshes (CONTRACT §5).
struct BootstrapRoutes: Sendable {
  let lamps: LampServices

  func add(to api: RouterGroup<AuthenticatedContext>) {
    api.get("bootstrap", use: bootstrap)
  }

  /// Where the dashboard opens its realtime stream (the same for every caller).
  static let realtime: JSONValue = ["mode": "proxy_sse", "streamPath": "/api/v1/realtime/stream"]

  struct Payload: Encodable, JSONBytesWritable {
    /// The visible devices with the caller's rights on each, and each one's live state (same order, same count).
    let devices: [(device: LampDevice, grant: DeviceGrant)]
    let live: [LiveDevice?]
    let viewer: JSONValue
    var realtime: JSONValue = BootstrapRoutes.realtime

    enum CodingKeys: String, CodingKey { case devices, viewer, realtime }

    /// Foundation's encoding, for the tests that hold the byte writer to it: each device as ``DeviceJSON``.
    func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(
        zip(devices, live).map { DeviceJSON($0.device, grant: $0.grant, live: $1) }, forKey: .devices)
      try container.encode(viewer, forKey: .viewer)
      try container.encode(realtime, forKey: .realtime)
    }

    /// Written without Foundation's encoder, each device straight from its values: the bootstrap is every
    /// dashboard's first request and its hottest.
    func write(to writer: inout JSONByteWriter) throws {
      writer.raw("{\"devices\":[")
      for index in devices.indices {
        if index > 0 { writer.raw(",") }
        DeviceJSON.write(devices[index].device, grant: devices[index].grant, live: live[index], to: &writer)
      }
      writer.raw("],\"viewer\":")
      try writer.value(viewer)
      writer.raw(",\"realtime\":")
      try writer.value(realtime)
      writer.raw("}")
    }
  }

  func bootstrap(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.listDevices)
    let devices = try await lamps.visibleDevices(for: context.principal)
    let viewer: JSONValue
    switch context.principal {
    case .user(let user):
      viewer = [
        "kind": "user", "id": .int(Int(user.id)), "name": .string(user.name), "email": .string(user.email),
        "role": .string(user.role.rawValue),
      ]
    case .apiKey(let key):
      viewer = ["kind": "client", "id": .int(Int(key.clientId)), "name": .string(key.name)]
    }
    let payload = Payload(
      devices: devices, live: lamps.state.liveStates(of: devices.lazy.map(\.device)), viewer: viewer)
    return try EnvelopeResponse.success(writing: payload, requestID: context.requestID)
  }
}
