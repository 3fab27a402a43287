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
  let repository: IdempotencyRepository
  /// The server's clock: a duplicate's deadline and the records' times come from it.
  let clock: ServerClock
  /// How long a duplicate waits for the first request before answering 409.
  var waitLimit: Duration = .seconds(5)
  static let maximumKeyLength = 255
  static let replayedHeader = HTTPField.Name.idempotentReplayed
  static let keyHeader = HTTPField.Name.idempotencyKey

  init(repository: IdempotencyRepository, clock: ServerClock = .system) {
    self.repository = repository
    self.clock = clock
  }

  /// Work that rides along in one of the record's transactions, over its connection.
  typealias Also<Value: Sendable> = @Sendable (any SQLConnection) throws -> Value

  func perform(
    _ request: Request, context: some APIContext, principal: Principal, body: ByteBuffer?, required: Bool,
    _ handler: () async throws -> Response
  ) async throws -> Response {
    try await perform(
      request, context: context, principal: principal, body: body, required: required, claiming: { _ in }
    ) { _ in (try await handler(), nil as Also<Void>?) }.response
  }

  /// As above, with extra work in the record's two transactions, so a route writes once before its side effect
  /// and once after it instead of twice each time:
  /// - `claiming` runs in the claim's transaction, only when the key is new (a replay does none of it); if it
  ///   throws, nothing is claimed and the error is the answer (a rate limit's 429). The handler gets its value.
  /// - the handler may return `completing`, which runs in the transaction that stores the answer, or on its own
  ///   when no answer is stored (no key, a 5xx, a failed store); its value is returned with the response.
  /// Without a key, `claiming` and `completing` each run in a transaction of their own.
  func perform<Claimed: Sendable, Completed: Sendable>(
    _ request: Request, context: some APIContext, principal: Principal, body: ByteBuffer?, required: Bool,
    claiming: @escaping Also<Claimed>, _ handler: (Claimed) async throws -> (Response, completing: Also<Completed>?)
  ) async throws -> (response: Response, completed: Completed?) {
    let key = request.headers[Self.keyHeader]?.trimmingCharacters(in: .whitespaces) ?? ""
    guard !key.isEmpty else {
      if required {
        throw APIError(
          .badRequest, code: "IDEMPOTENCY_KEY_REQUIRED", message: "Idempotency-Key header is required",
          details: ["header": "Idempotency-Key"])
      }
      let claimed = try await repository.database.write(claiming)
      let (response, completing) = try await handler(claimed)
      guard let completing else { return (response, nil) }
      return (response, try await repository.database.write(completing))
    }
    guard key.count <= Self.maximumKeyLength, !key.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
      throw APIError.validation(
        "Invalid Idempotency-Key", fieldErrors: ["Idempotency-Key": ["must be 1–255 printable characters"]])
    }
    let method = request.method.rawValue
    let path = request.uri.path
    let hash = Self.hash(method: method, path: path, body: body)
    let owner = principal.key
    let deadline = clock.now.advanced(by: waitLimit)
    // The route label keeps the method, so records of different methods on one path are told apart in the table.
    let claim = IdempotencyClaim(
      principal: owner, key: key, method: method, path: path, route: "\(method) \(path)", requestHash: hash)
    while true {
      switch try await repository.claim(claim, now: clock.epochMilliseconds(), also: claiming) {
      case (.claimed, let claimed?):
        return try await run({ try await handler(claimed) }, claim: claim, context: context)
      case (.claimed, nil):
        throw SQLError.engine(code: -1, message: "a claim without its work")
      case (.existing(var record), _):
        guard record.method == method, record.path == path, record.requestHash == hash else {
          throw APIError(
            .unprocessableContent, code: "IDEMPOTENCY_CONFLICT", message: "Invalid idempotency request",
            details: ["reason": "HASH_MISMATCH"])
        }
        // The first request is still running: wait for its answer, within limits.
        while record.statusCode == nil {
          guard clock.now < deadline else {
            throw APIError(
              .conflict, code: "IDEMPOTENCY_IN_PROGRESS",
              message: "A request with this Idempotency-Key is still in progress")
          }
          // The first request's row moves in real time, whatever the server's clock: look again soon.
          try await Task.sleep(for: .milliseconds(20))
          guard let again = try await repository.find(principal: owner, key: key) else { break }
          record = again
        }
        guard let status = record.statusCode, let stored = record.responseBody else { continue }
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[Self.replayedHeader] = "true"
        return (
          Response(
            status: HTTPResponse.Status(code: status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: stored))),
          nil
        )
      }
    }
  }

  private func run<Completed: Sendable>(
    _ handler: () async throws -> (Response, completing: Also<Completed>?), claim: IdempotencyClaim,
    context: some APIContext
  ) async throws -> (response: Response, completed: Completed?) {
    var response: Response
    var completing: Also<Completed>?
    do {
      (response, completing) = try await handler()
    } catch let error as APIError {
      response = EnvelopeResponse.failure(error, requestID: context.requestID)
    } catch {
      _ = try? await repository.release(claim)
      throw error
    }
    // 5xx (and a 429, which only says "later") are not stored: a retry with the same key runs again.
    guard response.status.code < 500, response.status != .tooManyRequests else {
      _ = try? await repository.release(claim)
      return (response, try await alone(completing))
    }
    let collector = BodyCollector()
    try await response.body.write(collector.writer)
    let bytes = collector.buffer
    response.body = ResponseBody(byteBuffer: bytes)
    do {
      guard let completing else {
        try await repository.complete(claim, statusCode: response.status.code, responseBody: String(buffer: bytes))
        return (response, nil)
      }
      let (_, completed) = try await repository.complete(
        claim, statusCode: response.status.code, responseBody: String(buffer: bytes), also: completing)
      return (response, completed)
    } catch {
      context.logger.warning("idempotency record not stored", metadata: ["error": "\(error)"])
      _ = try? await repository.release(claim)
      // The side effect happened: its own work is done on its own, or the request fails as it always did.
      return (response, try await alone(completing))
    }
  }

  /// Runs the work that would have ridden on the stored answer in a transaction of its own.
  private func alone<Completed: Sendable>(_ completing: Also<Completed>?) async throws -> Completed? {
    guard let completing else { return nil }
    return try await repository.database.write(completing)
  }

  /// Lowercase hex SHA-256 of `<method>|<path>|<raw body>`.
  static func hash(method: String, path: String, body: ByteBuffer?) -> String {
    var hasher = SHA256()
    hasher.update(data: Array("\(method)|\(path)|".utf8))
    if let body { hasher.update(data: Array(body.readableBytesView)) }
    return Hex.encode(hasher.finalize())
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
