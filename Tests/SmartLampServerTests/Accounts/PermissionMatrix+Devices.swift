@testable import SmartLampServer

/// Device, status and discovery routes. Mutations carry an `Idempotency-Key`; each caller deletes its own
/// seeded lamp (`doomed-<caller>`), so an earlier caller's success cannot turn a later one's answer into a 404.
extension PermissionMatrixTests {
  static let deviceRoutes: [Route] = [
    Route(.get, "/api/v1/devices", expected: scoped("read", 200)),
    Route(
      .post, "/api/v1/devices", idempotent: true,
      body: { ["deviceId": .string("made-\($0.counter)"), "name": "Made by matrix"] }, expected: admins(201)),
    Route(.get, "/api/v1/devices/discovery", expected: admins(200)),
    // No broker in the matrix: an allowed probe answers 503 BROKER_UNAVAILABLE.
    Route(.post, "/api/v1/devices/discovery/probe", expected: admins(503)),
    Route(
      .get, "/api/v1/devices/{deviceId}", uri: { _ in "/api/v1/devices/\(matrixLamp)" },
      expected: onDevice("read", .monitoring, 200)),
    Route(
      .get, "/api/v1/devices/{deviceId}/status", uri: { _ in "/api/v1/devices/\(matrixLamp)/status" },
      expected: onDevice("read", .monitoring, 200)),
    Route(
      .patch, "/api/v1/devices/{deviceId}", uri: { _ in "/api/v1/devices/\(matrixLamp)" }, idempotent: true,
      body: { ["name": .string("Matrix lamp \($0.counter)")] }, expected: onDevice(nil, .manage, 200)),
    Route(
      .delete, "/api/v1/devices/{deviceId}", uri: { "/api/v1/devices/\(doomedLamp($0.callerIndex))" },
      idempotent: true, expected: admins(200)),
    Route(.get, "/api/v1/status", expected: scoped("read", 200)),
    Route(
      .get, "/api/v1/devices/{deviceId}/usage", uri: { _ in "/api/v1/devices/\(matrixLamp)/usage" },
      expected: admins(200)),
  ]

  static let matrixLamp = "matrix-lamp"
  static func doomedLamp(_ callerIndex: Int) -> String { "doomed-\(callerIndex)" }
}
