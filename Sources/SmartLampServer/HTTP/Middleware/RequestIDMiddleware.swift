import Foundation
import HTTPTypes
import Hummingbird

/// Gives every request an id (CONTRACT §1): the caller's `X-Request-Id` when it is 1–128 characters of
/// `[A-Za-z0-9._:-]`, otherwise a fresh UUID. Echoed in the response header and carried by every log line.
struct RequestIDMiddleware: RouterMiddleware {
  typealias Context = AppRequestContext

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    var context = context
    let id = Self.acceptable(request.headers[.xRequestID]) ?? UUID().uuidString.lowercased()
    context.requestID = id
    context.logger[metadataKey: "request_id"] = .string(id)
    var response = try await next(request, context)
    response.headers[.xRequestID] = id
    return response
  }

  static func acceptable(_ value: String?) -> String? {
    guard let value, (1...128).contains(value.utf8.count) else { return nil }
    let allowed = value.utf8.allSatisfy { byte in
      switch byte {
      case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"),
        UInt8(ascii: "-"):
        return true
      default: return false
      }
    }
    return allowed ? value : nil
  }
}

extension HTTPField.Name {
  static let xRequestID = Self("X-Request-Id")!
  static let idempotencyKey = Self("Idempotency-Key")!
  static let idempotentReplayed = Self("Idempotent-Replayed")!
  static let xForwardedFor = Self("X-Forwarded-For")!
  static let xForwardedProto = Self("X-Forwarded-Proto")!
  static let xRateLimitLimit = Self("X-RateLimit-Limit")!
  static let xRateLimitRemaining = Self("X-RateLimit-Remaining")!
  static let xRateLimitReset = Self("X-RateLimit-Reset")!
  static let lastEventID = Self("Last-Event-ID")!
}
