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

  struct Payload: Encodable, JSONBytesWritable {
    let devices: [DeviceJSON]
    let viewer: JSONValue
    let realtime: JSONValue

    /// Written without Foundation's encoder: the bootstrap is every dashboard's first request and its hottest.
    func write(to writer: inout JSONByteWriter) throws {
      writer.raw("{\"devices\":[")
      for (index, device) in devices.enumerated() {
        if index > 0 { writer.raw(",") }
        device.write(to: &writer)
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
    let live = lamps.state.liveStates(of: devices.map(\.device))
    let payload = Payload(
      devices: zip(devices, live).map { DeviceJSON($0.device, grant: $0.grant, live: $1) },
      viewer: viewer, realtime: ["mode": "proxy_sse", "streamPath": "/api/v1/realtime/stream"])
    return try EnvelopeResponse.success(writing: payload, requestID: context.requestID)
  }
}
