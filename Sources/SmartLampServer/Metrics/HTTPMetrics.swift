import Hummingbird

/// Request counts and durations, labelled by the route pattern the router matched (never the raw path, whose ids
/// would make the label set unbounded).
final class HTTPMetrics: Sendable {
  let requests = LabelledCounter(
    "smartlamp_http_requests_total", help: "HTTP requests answered, by method, route pattern and status code",
    labelNames: ["method", "route", "code"])
  let duration = LabelledHistogram(
    "smartlamp_http_request_duration_seconds",
    help: "Time from receiving an HTTP request to its response head, by route pattern",
    labelNames: ["route"], bounds: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])

  /// The route label of requests no route matched (dashboard files, 404s).
  static let unmatchedRoute = "unmatched"
  static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

  func record(method: String, route: String?, status: Int, elapsed: Duration) {
    let route = route.flatMap { $0.isEmpty || $0 == "NotFound" ? nil : $0 } ?? Self.unmatchedRoute
    let method = Self.knownMethods.contains(method) ? method : "OTHER"
    let code = (100...599).contains(status) ? String(status) : "other"
    requests.increment([method, route, code])
    duration.observe(elapsed.metricSeconds, [route])
  }
}
