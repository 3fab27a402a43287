import Hummingbird

/// An error the API answers with: HTTP status, stable `code` (CONTRACT §2), human message and details.
/// Thrown anywhere under a route; ``ErrorMiddleware`` renders it as the error envelope.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
  public var status: HTTPResponse.Status
  public var code: String
  public var message: String
  public var details: [String: JSONValue]
  public var headers: HTTPFields

  public init(
    _ status: HTTPResponse.Status, code: String, message: String, details: [String: JSONValue] = [:],
    headers: HTTPFields = [:]
  ) {
    self.status = status
    self.code = code
    self.message = message
    self.details = details
    self.headers = headers
  }

  public var description: String { "\(status.code) \(code): \(message)" }

  public static func notFound(_ message: String = "Route not found") -> APIError {
    APIError(.notFound, code: "NOT_FOUND", message: message)
  }

  public static func methodNotAllowed(allowed: [String]) -> APIError {
    var headers = HTTPFields()
    headers[.allow] = allowed.joined(separator: ", ")
    return APIError(
      .methodNotAllowed, code: "METHOD_NOT_ALLOWED", message: "Method not allowed",
      details: ["allowed": .array(allowed.map(JSONValue.string))], headers: headers)
  }

  public static func payloadTooLarge(limit: Int) -> APIError {
    APIError(
      .contentTooLarge, code: "PAYLOAD_TOO_LARGE", message: "Request body is larger than \(limit) bytes",
      details: ["maxBytes": .int(limit)])
  }

  public static func unsupportedMediaType() -> APIError {
    APIError(
      .unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE",
      message: "Request body must be JSON (Content-Type: application/json)")
  }

  public static func validation(_ message: String = "Validation failed", fieldErrors: [String: [String]] = [:])
    -> APIError
  {
    let fields = JSONValue.object(fieldErrors.mapValues { .array($0.map(JSONValue.string)) })
    // `details.details` repeats the upstream (zod flatten) shape so upstream dashboards keep reading it.
    return APIError(
      .badRequest, code: "VALIDATION_ERROR", message: message,
      details: ["fieldErrors": fields, "formErrors": [], "details": ["fieldErrors": fields, "formErrors": []]])
  }

  public static func internalError() -> APIError {
    APIError(.internalServerError, code: "INTERNAL_ERROR", message: "Internal server error")
  }
}
