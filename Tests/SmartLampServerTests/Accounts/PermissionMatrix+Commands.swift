@testable import SmartLampServer

/// Commands, the realtime stream and the public routes. The server runs without a broker, so an allowed execute
/// answers `503 BROKER_UNAVAILABLE`; a refused one must be refused before that check.
extension PermissionMatrixTests {
  static let commandRoutes: [Route] = [
    Route(
      .post, "/api/v1/commands/execute", idempotent: true,
      body: { ["deviceId": .string(matrixLamp), "action": "ON", "requestId": .string("matrix-\($0.counter)")] },
      expected: onDevice("command", .control, 503)),
    Route(.get, "/api/v1/commands", expected: scoped("read", 200)),
    Route(
      .get, "/api/v1/commands/{requestId}", uri: { _ in "/api/v1/commands/\(seededCommand)" },
      expected: { caller in
        // The log only shows commands of devices the caller sees; others are not found.
        let gate = scoped("read", 200)(caller)
        return gate == 200 && caller.devicePermission == nil ? 404 : gate
      }),
    Route(.get, "/api/v1/realtime/stream", stream: true, expected: scoped("read", 200)),
    // The audit log: members get their lamps' rows, never a refusal for lamps they lack.
    Route(.get, "/api/v1/history", expected: scoped("read", 200)),
    Route(.get, "/api/v1/history/export.csv", expected: scoped("read", 200)),
  ]

  static let publicRoutes: [Route] = [
    Route(.get, "/health", expected: everyone(200)),
    Route(.get, "/api/health", expected: everyone(200)),
    // No broker: not ready, whoever asks.
    Route(.get, "/api/v1/health/ready", expected: everyone(503)),
    Route(.get, "/api/v1/openapi.json", expected: everyone(200)),
  ]

  /// A command log entry on the matrix lamp, seeded before the server starts.
  static let seededCommand = "matrix-seeded-command"
}
