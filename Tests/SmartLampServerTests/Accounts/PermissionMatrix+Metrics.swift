/// `/metrics` (CONTRACT §5): admins, or API keys with the `admin` scope whose owner is an admin. The matrix server
/// sets no `metrics.token`, so no other bearer token is accepted here (MetricsRouteTests covers the token).
extension PermissionMatrixTests {
  static let metricsRoutes: [Route] = [
    Route(.get, "/metrics", expected: admins(200))
  ]
}
