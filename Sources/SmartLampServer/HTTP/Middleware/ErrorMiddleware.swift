import Hummingbird
import Logging
import SmartLampStore

/// The one place errors become HTTP answers: ``APIError`` as is, Hummingbird's own errors mapped to our codes
/// (404 → 405 when the path exists with another method), an unreachable or locked database a 503 (the client may
/// retry; the driver reconnects by itself), a full disk a 503 `STORAGE_FULL` (a retry helps only once someone
/// frees space, so it is told apart), anything else a 500 that is logged with the request id and never leaks its
/// text.
struct ErrorMiddleware: RouterMiddleware {
  typealias Context = AppRequestContext
  let routes: RouteTable

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    do {
      return try await next(request, context)
    } catch let error as APIError {
      // A 503 is a dependency that is down (broker, database, not ready yet): the operator hears about that once
      // from the part that lost it, so each refused request is only a warning; other 5xx are our own failures.
      let metadata: Logger.Metadata = ["code": .string(error.code), "error": "\(error.message)"]
      if error.status == .serviceUnavailable {
        context.logger.warning("request refused: a dependency is unavailable", metadata: metadata)
      } else if error.status.code >= 500 {
        context.logger.error("request failed", metadata: metadata)
      }
      return EnvelopeResponse.failure(error, requestID: context.requestID)
    } catch let error as HTTPError {
      return EnvelopeResponse.failure(map(error, request: request), requestID: context.requestID)
    } catch is CancellationError {
      throw CancellationError()
    } catch let error as SQLError where error.isUnavailable {
      context.logger.warning("database unavailable", metadata: ["error": "\(error)"])
      if case .storageFull = error {
        return EnvelopeResponse.failure(.storageFull(), requestID: context.requestID)
      }
      return EnvelopeResponse.failure(.databaseUnavailable(), requestID: context.requestID)
    } catch {
      context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
      return EnvelopeResponse.failure(.internalError(), requestID: context.requestID)
    }
  }

  private func map(_ error: HTTPError, request: Request) -> APIError {
    switch error.status {
    case .notFound:
      let allowed = routes.methods(matching: request.uri.path)
      if !allowed.isEmpty, !allowed.contains(request.method.rawValue) {
        return .methodNotAllowed(allowed: allowed)
      }
      return .notFound()
    case .contentTooLarge: return .payloadTooLarge(limit: Configuration.maxBodyBytes)
    case .unsupportedMediaType: return .unsupportedMediaType()
    case .badRequest: return .validation(error.body ?? "Bad request")
    case .methodNotAllowed: return .methodNotAllowed(allowed: routes.methods(matching: request.uri.path))
    default:
      let code = error.status.code >= 500 ? "INTERNAL_ERROR" : "HTTP_\(error.status.code)"
      return APIError(error.status, code: code, message: error.status.reasonPhrase)
    }
  }
}
