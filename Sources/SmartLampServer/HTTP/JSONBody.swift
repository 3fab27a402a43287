import Foundation
import Hummingbird

/// A request body that passed the transport checks of CONTRACT §1: JSON content type, at most 64 KiB, not empty,
/// syntactically valid JSON. `raw` is kept byte-for-byte because idempotency hashes it.
public struct JSONBody: Sendable {
  public let raw: ByteBuffer
  /// The parsed body.
  public let value: JSONValue

  /// Decodes into `T`; a shape mismatch becomes `400 VALIDATION_ERROR` naming the field.
  public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
    if T.self == JSONValue.self, let value = value as? T { return value }
    do {
      return try JSONDecoder().decode(T.self, from: raw)
    } catch let error as DecodingError {
      let (field, message) = Self.describe(error)
      throw APIError.validation(fieldErrors: [field: [message]])
    }
  }

  static func describe(_ error: DecodingError) -> (field: String, message: String) {
    func path(_ keys: [any CodingKey]) -> String {
      let parts = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
      let joined = parts.reduce(into: "") { result, part in
        result += part.hasPrefix("[") || result.isEmpty ? part : "." + part
      }
      return joined.isEmpty ? "body" : joined
    }
    switch error {
    case .typeMismatch(let type, let context):
      return (path(context.codingPath), "must be \(typeName(type))")
    case .valueNotFound(let type, let context):
      return (path(context.codingPath), "must be \(typeName(type)), not null")
    case .keyNotFound(let key, let context):
      return (path(context.codingPath + [key]), "is required")
    case .dataCorrupted(let context):
      return (path(context.codingPath), "has an invalid value")
    @unknown default:
      return ("body", "is invalid")
    }
  }

  private static func typeName(_ type: Any.Type) -> String {
    switch type {
    case is String.Type, is Substring.Type: return "a string"
    case is Bool.Type: return "a boolean"
    case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type: return "an integer"
    case is Double.Type, is Float.Type: return "a number"
    default:
      let name = String(describing: type)
      if name.hasPrefix("Array") { return "an array" }
      if name.hasPrefix("Dictionary") { return "an object" }
      return "a valid value"
    }
  }
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
