import Foundation
import Hummingbird

/// A request body that passed the transport checks of CONTRACT §1: JSON content type, at most 64 KiB, not empty,
/// syntactically valid JSON. `raw` is kept byte-for-byte because idempotency hashes it. Routes read it through
/// ``BodyFields``.
public struct JSONBody: Sendable {
  public let raw: ByteBuffer
  /// The parsed body.
  public let value: JSONValue
}

extension Request {
  /// Reads the body under the rules of CONTRACT §1 (415, 413, 400 in that order).
  public func jsonBody(limit: Int = Configuration.maxBodyBytes) async throws -> JSONBody {
    guard Self.isJSON(headers[.contentType]) else { throw APIError.unsupportedMediaType() }
    if let length = headers[.contentLength].flatMap(Int.init), length > limit {
      throw APIError.payloadTooLarge(limit: limit)
    }
    let buffer: ByteBuffer
    do {
      buffer = try await body.collect(upTo: limit)
    } catch let error as HTTPError where error.status == .contentTooLarge {
      throw APIError.payloadTooLarge(limit: limit)
    }
    guard buffer.readableBytes > 0 else { throw APIError.validation("Request body is required") }
    guard let value = try? JSONParser.parse(buffer.readableBytesView) else {
      throw APIError.validation("Invalid JSON body")
    }
    return JSONBody(raw: buffer, value: value)
  }

  static func isJSON(_ contentType: String?) -> Bool {
    guard let contentType else { return false }
    let media = contentType.split(separator: ";", maxSplits: 1)[0].trimmingCharacters(in: .whitespaces).lowercased()
    return media == "application/json" || (media.hasPrefix("application/") && media.hasSuffix("+json"))
  }
}
