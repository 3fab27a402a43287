import Hummingbird
import Logging

/// One structured line per request: method, path (without query, which may carry tokens), status, duration, id.
struct AccessLogMiddleware: RouterMiddleware {
  typealias Context = AppRequestContext
  let logger: Logger

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    let start = ContinuousClock.now
    var status = 500
    defer {
      let elapsed = ContinuousClock.now - start
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
