@testable import SmartLampServer

/// The dashboard's routes (issue #7): first run, own sessions, batch commands, schedule preview, lamp history. The
/// matrix server has its first admin, so setup answers `409` to everyone; it has no broker, so an allowed batch
/// answers `200` with `FAILED` items (a refused caller is refused before that).
extension PermissionMatrixTests {
  static let dashboardRoutes: [Route] = [
    Route(.get, "/api/v1/setup", expected: everyone(200)),
    Route(
      .post, "/api/v1/setup",
      body: { _ in
        [
          "setupCode": "AAAA-BBBB-CCCC", "name": "Matrix", "email": "setup@example.com",
          "password": "member-password-1",
        ]
      }, expected: everyone(409)),
    Route(.get, "/api/v1/auth/sessions", expected: usersOnly(200)),
    Route(
      .delete, "/api/v1/auth/sessions/{id}", uri: { _ in "/api/v1/auth/sessions/999999999" },
      expected: usersOnly(404)),
    // Every session of the caller but the current one (each caller has only this one).
    Route(.delete, "/api/v1/auth/sessions", expected: usersOnly(200)),
    Route(
      .post, "/api/v1/commands/batch", idempotent: true,
      body: { _ in ["items": [["deviceId": .string(matrixLamp), "action": "ON"]]] },
      expected: scoped("command", 200)),
    Route(
      .post, "/api/v1/schedules/preview", body: { _ in ["cron": "0 18 * * *", "timezone": "Asia/Jakarta"] },
      expected: scoped("read", 200)),
    Route(
      .get, "/api/v1/devices/{deviceId}/history", uri: { _ in "/api/v1/devices/\(matrixLamp)/history" },
      expected: onDevice("read", .monitoring, 200)),
  ]
}
