import Hummingbird
import Logging

/// One structured line per request: method, path (without query, which may carry tokens), status, duration, id;
/// the same timing feeds the HTTP metrics (``HTTPMetrics``). Sits outside the error middleware, so both see the
/// status the client gets.
struct AccessLogMiddleware: RouterMiddleware {
  typealias Context = AppRequestContext
  let logger: Logger
  let metrics: HTTPMetrics

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    let start = ContinuousClock.now
    var status = 500
    defer {
      let elapsed = ContinuousClock.now - start
      // The router stores the matched pattern in a box the context copies share, so it is readable after `next`.
      metrics.record(method: request.method.rawValue, route: context.endpointPath, status: status, elapsed: elapsed)
      // Hundredths of a millisecond, without `String(format:)` (slow on Linux, and this runs for every request).
      let exact = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
      let ms = (exact * 100).rounded() / 100
      logger.info(
        "request",
        metadata: [
          "method": .string(request.method.rawValue), "path": .string(request.uri.path),
          "status": .stringConvertible(status), "duration_ms": .stringConvertible(ms),
          "request_id": .string(context.requestID), "client_ip": .string(context.clientIP),
        ])
    }
    let response = try await next(request, context)
    status = response.status.code
    return response
  }
}
