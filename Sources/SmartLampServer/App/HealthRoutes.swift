import Hummingbird

/// `/health`, `/api/health` (liveness, as upstream) and `/api/v1/health/ready` (readiness of every dependency).
struct HealthRoutes: Sendable {
  let checks: [any ReadinessCheck]

  struct Liveness: Encodable {
    let name: String
    let status: String
    let version: String
  }

  struct CheckResult: Encodable {
    let status: String
    let error: String?
  }

  struct Ready: Encodable {
    let status: String
    let checks: [String: CheckResult]
  }

  /// Public; registered from the root because two of the paths lie outside `/api/v1`.
  func add(to root: RouterGroup<AppRequestContext>) {
    root.get("health", use: liveness)
    root.get("api/health", use: liveness)
    root.get("api/v1/health/ready", use: readiness)
  }

  func liveness(_ request: Request, context: AppRequestContext) throws -> Response {
    try EnvelopeResponse.success(
      Liveness(name: SmartLampVersion.name, status: "ok", version: SmartLampVersion.version),
      requestID: context.requestID)
  }

  func readiness(_ request: Request, context: AppRequestContext) async throws -> Response {
    var results: [String: CheckResult] = [:]
    var failing: [String] = []
    for check in checks {
      if let problem = await check.problem() {
        results[check.name] = CheckResult(status: "fail", error: problem)
        failing.append("\(check.name): \(problem)")
      } else {
        results[check.name] = CheckResult(status: "ok", error: nil)
      }
    }
    if failing.isEmpty {
      return try EnvelopeResponse.success(Ready(status: "ready", checks: results), requestID: context.requestID)
    }
    var headers = HTTPFields()
    headers[.retryAfter] = "5"
    let checksJSON = JSONValue.object(
      results.mapValues { .object(["status": .string($0.status), "error": $0.error.map(JSONValue.string) ?? .null]) })
    throw APIError(
      .serviceUnavailable, code: "NOT_READY", message: "Not ready: " + failing.sorted().joined(separator: "; "),
      details: ["checks": checksJSON], headers: headers)
  }
}
