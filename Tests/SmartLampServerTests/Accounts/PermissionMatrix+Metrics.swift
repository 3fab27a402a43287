/// `/metrics` (CONTRACT §5): admins, or API keys with the `admin` scope whose owner is an admin. The matrix server
/// sets no `metrics.token`, so no other bearer token is accepted here (MetricsRouteTests covers the token).
/// `/api/v1/system` (issue #8) follows the same rule; with no broker it still answers 200 (and says so).
extension PermissionMatrixTests {
  static let metricsRoutes: [Route] = [
    Route(.get, "/metrics", expected: admins(200)),
    Route(.get, "/api/v1/system", expected: admins(200)),
  ]
}
