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
    let id = Self.acceptable(request.headers[.xRequestID]) ?? Self.freshID()
    context.requestID = id
    context.logger[metadataKey: "request_id"] = .string(id)
    var response = try await next(request, context)
    response.headers[.xRequestID] = id
    return response
  }

  /// A random (version 4) UUID in lowercase. Built from `SystemRandomNumberGenerator` (one `getrandom` call)
  /// because Foundation's `UUID()` on Linux opens and reads `/dev/urandom` for every id.
  static func freshID() -> String {
    var generator = SystemRandomNumberGenerator()
    var bytes = [UInt8](repeating: 0, count: 16)
    for half in 0..<2 {
      let word = generator.next() as UInt64
      for index in 0..<8 { bytes[half * 8 + index] = UInt8(truncatingIfNeeded: word >> (8 * index)) }
    }
    bytes[6] = bytes[6] & 0x0f | 0x40
    bytes[8] = bytes[8] & 0x3f | 0x80
    var text = [UInt8]()
    text.reserveCapacity(36)
    for (index, byte) in bytes.enumerated() {
      if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
      text.append(hexDigits[Int(byte >> 4)])
      text.append(hexDigits[Int(byte & 0x0f)])
    }
    return String(decoding: text, as: UTF8.self)
  }

  private static let hexDigits = Array("0123456789abcdef".utf8)

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
