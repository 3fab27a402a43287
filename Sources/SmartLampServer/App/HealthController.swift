import Hummingbird

/// `/health`, `/api/health` (liveness, as upstream) and `/api/v1/health/ready` (readiness of every dependency).
struct HealthController {
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

  func addRoutes(to router: Router<AppRequestContext>) {
    router.get("/health", use: liveness)
    router.get("/api/health", use: liveness)
    router.get("/api/v1/health/ready", use: readiness)
  }

  @Sendable func liveness(_ request: Request, context: AppRequestContext) throws -> Response {
    try EnvelopeResponse.success(
      Liveness(name: SmartLampVersion.name, status: "ok", version: SmartLampVersion.version),
      requestID: context.requestID)
  }

  @Sendable func readiness(_ request: Request, context: AppRequestContext) async throws -> Response {
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
