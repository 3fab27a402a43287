import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SmartLampCore
import SmartLampStore

/// `Idempotency-Key` handling of CONTRACT §6, reusable by any mutating route:
///
/// ```swift
/// return try await services.idempotency.perform(request, context: context, principal: principal,
///                                              body: body.raw, required: true) {
///   try await doTheSideEffect()   // returns a Response; APIErrors become stored 4xx answers
/// }
/// ```
///
/// The record key is (principal, key). It is claimed before the side effect (insert-if-absent), so of two
/// concurrent identical requests one runs and the other waits for its answer (then replays it) or, if the first is
/// still running after ``waitLimit``, gets `409 IDEMPOTENCY_IN_PROGRESS`. Same key with another method, path or
/// body: `422 IDEMPOTENCY_CONFLICT`. Replays carry `Idempotent-Replayed: true`. 2xx and 4xx answers are stored for
/// 24 h; 5xx and 429 are not (the claim is released and a retry runs again).
struct Idempotency: Sendable {
  let store: IdempotencyStore
  /// How long a duplicate waits for the first request before answering 409.
  var waitLimit: Duration = .seconds(5)
  static let maximumKeyLength = 255
  static let replayedHeader = HTTPField.Name.idempotentReplayed
  static let keyHeader = HTTPField.Name.idempotencyKey

  init(database: any SQLDatabase) {
    store = IdempotencyStore(database: database)
  }

  func perform(
    _ request: Request, context: AppRequestContext, principal: Principal, body: ByteBuffer?, required: Bool,
    _ handler: () async throws -> Response
  ) async throws -> Response {
    let key = request.headers[Self.keyHeader]?.trimmingCharacters(in: .whitespaces) ?? ""
    guard !key.isEmpty else {
      if required {
        throw APIError(
          .badRequest, code: "IDEMPOTENCY_KEY_REQUIRED", message: "Idempotency-Key header is required",
          details: ["header": "Idempotency-Key"])
      }
      return try await handler()
    }
    guard key.count <= Self.maximumKeyLength, !key.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
      throw APIError.validation(
        "Invalid Idempotency-Key", fieldErrors: ["Idempotency-Key": ["must be 1–255 printable characters"]])
    }
    let method = request.method.rawValue
    let path = request.uri.path
    let hash = Self.hash(method: method, path: path, body: body)
    let owner = principal.key
    let deadline = ContinuousClock.now.advanced(by: waitLimit)
    while true {
      switch try await store.claim(
        principal: owner, key: key, method: method, path: path, hash: hash, now: APITime.epochMilliseconds())
      {
      case .claimed:
        return try await run(handler, owner: owner, key: key, context: context)
      case .existing(var record):
        guard record.method == method, record.path == path, record.requestHash == hash else {
          throw APIError(
            .unprocessableContent, code: "IDEMPOTENCY_CONFLICT", message: "Invalid idempotency request",
            details: ["reason": "HASH_MISMATCH"])
        }
        // The first request is still running: wait for its answer, within limits.
        while record.statusCode == nil {
          guard ContinuousClock.now < deadline else {
            throw APIError(
              .conflict, code: "IDEMPOTENCY_IN_PROGRESS",
              message: "A request with this Idempotency-Key is still in progress")
          }
          try await Task.sleep(for: .milliseconds(20))
          guard let again = try await store.find(principal: owner, key: key) else { break }
          record = again
        }
        guard let status = record.statusCode, let stored = record.responseBody else { continue }
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[Self.replayedHeader] = "true"
        return Response(
          status: HTTPResponse.Status(code: status), headers: headers,
          body: ResponseBody(byteBuffer: ByteBuffer(string: stored)))
      }
    }
  }

  private func run(
    _ handler: () async throws -> Response, owner: String, key: String, context: AppRequestContext
  ) async throws -> Response {
    var response: Response
    do {
      response = try await handler()
    } catch let error as APIError {
      response = EnvelopeResponse.failure(error, requestID: context.requestID)
    } catch {
      try? await store.release(principal: owner, key: key)
      throw error
    }
    // 5xx (and a 429, which only says "later") are not stored: a retry with the same key runs again.
    guard response.status.code < 500, response.status != .tooManyRequests else {
      try? await store.release(principal: owner, key: key)
      return response
    }
    let collector = BodyCollector()
    try await response.body.write(collector.writer)
    let bytes = collector.buffer
    do {
      try await store.complete(
        principal: owner, key: key, status: response.status.code, body: String(buffer: bytes))
    } catch {
      context.logger.warning("idempotency record not stored", metadata: ["error": "\(error)"])
      try? await store.release(principal: owner, key: key)
    }
    response.body = ResponseBody(byteBuffer: bytes)
    return response
  }

  /// Lowercase hex SHA-256 of `<method>|<path>|<raw body>`.
  static func hash(method: String, path: String, body: ByteBuffer?) -> String {
    var hasher = SHA256()
    hasher.update(data: Array("\(method)|\(path)|".utf8))
    if let body { hasher.update(data: Array(body.readableBytesView)) }
    return hasher.finalize().map { String(format: "%02x", $0) }.joined()
  }
}

/// Collects a response body that was produced for storing (small JSON envelopes only).
private final class BodyCollector: @unchecked Sendable {
  // Only used sequentially by the one task that writes the body, then reads it.
  var buffer = ByteBuffer()

  struct Writer: ResponseBodyWriter {
    let collector: BodyCollector
    mutating func write(_ buffer: ByteBuffer) async throws {
      var part = buffer
      collector.buffer.writeBuffer(&part)
    }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
  }

  var writer: Writer { Writer(collector: self) }
}
