import Foundation
import Hummingbird
import SmartLampStore

/// The response envelope of every `/api` answer (UPSTREAM §2.1): `success`, `data`, `error`, `meta`.
struct Envelope<Payload: Encodable>: Encodable {
  struct ErrorBody: Encodable {
    let code: String
    let message: String
    let details: [String: JSONValue]
  }
  struct Meta: Encodable {
    let requestId: String
    let timestamp: String
    let version: String
  }

  let success: Bool
  let data: Payload?
  let error: ErrorBody?
  let meta: Meta

  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(success, forKey: .success)
    // `data` and `error` are always present, as null when absent, so clients can rely on the keys.
    if let data { try container.encode(data, forKey: .data) } else { try container.encodeNil(forKey: .data) }
    if let error { try container.encode(error, forKey: .error) } else { try container.encodeNil(forKey: .error) }
    try container.encode(meta, forKey: .meta)
  }

  enum CodingKeys: String, CodingKey { case success, data, error, meta }

  static func meta(requestID: String) -> Meta {
    Meta(requestId: requestID, timestamp: APITime.iso8601(Date()), version: "v1")
  }
}

extension Envelope: JSONBytesWritable where Payload: JSONBytesWritable {
  func write(to writer: inout JSONByteWriter) throws {
    writer.raw(success ? "{\"success\":true,\"data\":" : "{\"success\":false,\"data\":")
    if let data { try data.write(to: &writer) } else { writer.null() }
    writer.raw(",\"error\":")
    if let error { try error.write(to: &writer) } else { writer.null() }
    writer.raw(",\"meta\":")
    meta.write(to: &writer)
    writer.raw("}")
  }
}

extension Envelope.ErrorBody {
  func write(to writer: inout JSONByteWriter) throws {
    writer.raw("{\"code\":")
    writer.string(code)
    writer.raw(",\"message\":")
    writer.string(message)
    writer.raw(",\"details\":")
    try writer.value(.object(details))
    writer.raw("}")
  }
}

extension Envelope.Meta {
  func write(to writer: inout JSONByteWriter) {
    writer.raw("{\"requestId\":")
    writer.string(requestId)
    writer.raw(",\"timestamp\":")
    writer.string(timestamp)
    writer.raw(",\"version\":")
    writer.string(version)
    writer.raw("}")
  }
}

/// Rendering of envelopes into responses; the only place JSON response bodies are made.
enum EnvelopeResponse {
  static let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return encoder
  }()

  static func success<Payload: Encodable>(
    _ data: Payload, status: HTTPResponse.Status = .ok, requestID: String, headers: HTTPFields = [:]
  ) throws -> Response {
    let envelope = Envelope(success: true, data: data, error: nil, meta: Envelope<Payload>.meta(requestID: requestID))
    return try json(envelope, status: status, headers: headers)
  }

  /// As ``success(_:status:requestID:headers:)`` for a payload the byte writer writes itself, without Foundation's
  /// encoder: the same keys and scalars (``JSONByteWriter``).
  static func success<Payload: JSONBytesWritable & Encodable>(
    writing data: Payload, status: HTTPResponse.Status = .ok, requestID: String, headers: HTTPFields = [:]
  ) throws -> Response {
    let envelope = Envelope(success: true, data: data, error: nil, meta: Envelope<Payload>.meta(requestID: requestID))
    var writer = JSONByteWriter(capacity: 8192)
    try envelope.write(to: &writer)
    var fields = headers
    fields[.contentType] = "application/json; charset=utf-8"
    return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
  }

  static func failure(_ error: APIError, requestID: String) -> Response {
    let body = Envelope<JSONValue>.ErrorBody(code: error.code, message: error.message, details: error.details)
    let envelope = Envelope<JSONValue>(
      success: false, data: nil, error: body, meta: Envelope<JSONValue>.meta(requestID: requestID))
    // Encoding plain strings and JSONValue cannot fail; fall back to a fixed body rather than crash.
    return (try? json(envelope, status: error.status, headers: error.headers))
      ?? Response(status: .internalServerError)
  }

  static func json<Value: Encodable>(_ value: Value, status: HTTPResponse.Status, headers: HTTPFields = [:]) throws
    -> Response
  {
    let data = try encoder.encode(value)
    var fields = headers
    fields[.contentType] = "application/json; charset=utf-8"
    return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }
}

/// Times as the API writes them.
public enum APITime {
  /// ISO-8601 UTC with milliseconds, e.g. `2026-11-22T18:20:00.123Z`: the Store's formatter, so answers and rows
  /// write a time alike (formatting a fractional `Date` directly turns `.123` into `.122`).
  public static func iso8601(_ date: Date) -> String { Timestamp.iso(epochMilliseconds(date)) }

  /// ``iso8601(_:)`` for epoch milliseconds, without a round trip through a binary fraction.
  public static func iso8601(millis: Int64) -> String { Timestamp.iso(millis) }

  /// `date` in epoch milliseconds; the current time is `Timestamp.nowMillis()` (one name for "now").
  public static func epochMilliseconds(_ date: Date) -> Int64 {
    Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
  }
}
