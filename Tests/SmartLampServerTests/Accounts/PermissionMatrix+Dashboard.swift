@testable import SmartLampServer

/// The dashboard's routes (issue #7): first run and batch commands. The matrix server has its first admin, so setup
/// answers `409` to everyone; it has no broker, so an allowed batch answers `200` with `FAILED` items (a refused
/// caller is refused before that).
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
    Route(
      .post, "/api/v1/commands/batch", idempotent: true,
      body: { _ in ["items": [["deviceId": .string(matrixLamp), "action": "ON"]]] },
      expected: scoped("command", 200)),
  ]
}
