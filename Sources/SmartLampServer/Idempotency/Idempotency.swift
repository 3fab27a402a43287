import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SmartLampCore
import SmartLampStore
import Synchronization

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
  /// How long a duplicate waits for the first request before answering 409.
  var waitLimit: Duration = .seconds(5)
  static let maximumKeyLength = 255
  static let replayedHeader = HTTPField.Name.idempotentReplayed
  static let keyHeader = HTTPField.Name.idempotencyKey

  init(repository: IdempotencyRepository) {
    self.repository = repository
  }

  func perform(
    _ request: Request, context: some APIContext, principal: Principal, body: ByteBuffer?, required: Bool,
    _ handler: () async throws -> Response
  ) async throws -> Response {
    try await perform(request, context: context, principal: principal, body: body, required: required) {
      (try await handler(), nil as DeferredCommandLog?)
    }
  }

  /// As above, for a handler that published a command and hands back its audit row: the row is written in the
  /// same transaction that stores the answer (CONTRACT §6 still claims before the side effect), or alone when
  /// no answer is stored.
  func perform(
    _ request: Request, context: some APIContext, principal: Principal, body: ByteBuffer?, required: Bool,
    _ handler: () async throws -> (Response, DeferredCommandLog?)
  ) async throws -> Response {
    try await perform(
      request, context: context, principal: principal, body: body, required: required, countingHit: nil
    ) { _ in try await handler() }
  }

  /// A rate limit whose hit is counted in the claim's transaction (one write before the side effect, not two).
  struct CountedHit: Sendable {
    let key: String
    let limit: FixedWindowLimit
    /// Counts the hit on its own, when the request carries no key to claim.
    let alone: @Sendable () async throws -> RateLimitDecision
    /// The answer when the limit is reached (nothing is claimed or stored: a 429 only says "later").
    let refusal: @Sendable (RateLimitDecision) -> APIError
  }

  /// As above, counting `countingHit` (if any) with the claim; the handler gets its decision, for headers.
  func perform(
    _ request: Request, context: some APIContext, principal: Principal, body: ByteBuffer?, required: Bool,
    countingHit: CountedHit?, _ handler: (RateLimitDecision?) async throws -> (Response, DeferredCommandLog?)
  ) async throws -> Response {
    let key = request.headers[Self.keyHeader]?.trimmingCharacters(in: .whitespaces) ?? ""
    guard !key.isEmpty else {
      if required {
        throw APIError(
          .badRequest, code: "IDEMPOTENCY_KEY_REQUIRED", message: "Idempotency-Key header is required",
          details: ["header": "Idempotency-Key"])
      }
      var decision: RateLimitDecision?
      if let countingHit {
        let counted = try await countingHit.alone()
        guard counted.allowed else { throw countingHit.refusal(counted) }
        decision = counted
      }
      let (response, deferred) = try await handler(decision)
      try await deferred?.writeAlone()
      return response
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
    // The route label keeps the method, so records of different methods on one path are told apart in the table.
    let claim = IdempotencyClaim(
      principal: owner, key: key, method: method, path: path, route: "\(method) \(path)", requestHash: hash)
    while true {
      let outcome: IdempotencyLimitedClaim
      if let countingHit {
        outcome = try await repository.claim(
          claim, countingHit: countingHit.key, limit: countingHit.limit, now: APITime.epochMilliseconds())
      } else {
        switch try await repository.claim(claim, now: APITime.epochMilliseconds()) {
        case .claimed(let record): outcome = .claimed(record, .unlimited)
        case .existing(let record): outcome = .existing(record)
        }
      }
      switch outcome {
      case .limited(let decision):
        throw countingHit?.refusal(decision)
          ?? APIError(.tooManyRequests, code: "RATE_LIMITED", message: "Too many requests")
      case .claimed(_, let decision):
        return try await run(
          { try await handler(countingHit == nil ? nil : decision) }, claim: claim, context: context)
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
          guard let again = try await repository.find(principal: owner, key: key) else { break }
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
    _ handler: () async throws -> (Response, DeferredCommandLog?), claim: IdempotencyClaim,
    context: some APIContext
  ) async throws -> Response {
    var response: Response
    var deferred: DeferredCommandLog?
    do {
      (response, deferred) = try await handler()
    } catch let error as APIError {
      response = EnvelopeResponse.failure(error, requestID: context.requestID)
    } catch {
      _ = try? await repository.release(claim)
      throw error
    }
    // 5xx (and a 429, which only says "later") are not stored: a retry with the same key runs again.
    guard response.status.code < 500, response.status != .tooManyRequests else {
      _ = try? await repository.release(claim)
      try await deferred?.writeAlone()
      return response
    }
    let collector = BodyCollector()
    try await response.body.write(collector.writer)
    let bytes = collector.buffer
    let statusCode = response.status.code
    guard let deferred else {
      // Nothing else rides on the record, so it is stored while the answer is already on its way: a duplicate
      // arriving meanwhile waits for it like for any request in progress.
      let completion = StoredAnswer { [repository] in
        do {
          try await repository.complete(claim, statusCode: statusCode, responseBody: String(buffer: bytes))
        } catch {
          context.logger.warning("idempotency record not stored", metadata: ["error": "\(error)"])
          _ = try? await repository.release(claim)
        }
      }
      response.body = ResponseBody(contentLength: bytes.readableBytes) { writer in
        do {
          try await writer.write(bytes)
          try await writer.finish(nil)
        } catch {
          await completion.store()
          throw error
        }
        await completion.store()
      }
      return response
    }
    do {
      let (_, id) = try await repository.complete(
        claim, statusCode: statusCode, responseBody: String(buffer: bytes), recording: deferred.log,
        now: deferred.log.issuedAt)
      deferred.written(id)
    } catch {
      context.logger.warning("idempotency record not stored", metadata: ["error": "\(error)"])
      _ = try? await repository.release(claim)
      // The command went out: its audit row is written on its own, or the request fails as it always did.
      try await deferred.writeAlone()
    }
    response.body = ResponseBody(byteBuffer: bytes)
    return response
  }

  /// Lowercase hex SHA-256 of `<method>|<path>|<raw body>`.
  static func hash(method: String, path: String, body: ByteBuffer?) -> String {
    var hasher = SHA256()
    hasher.update(data: Array("\(method)|\(path)|".utf8))
    if let body { hasher.update(data: Array(body.readableBytesView)) }
    return Hex.encode(hasher.finalize())
  }
}

/// A published command's audit row that rides along with the idempotency record of the request that issued it.
/// Exactly one of ``written`` (with the row id) or ``failed`` is called, by ``writeAlone()`` or by
/// ``Idempotency`` after its combined write.
struct DeferredCommandLog: Sendable {
  let log: NewCommandLog
  let logs: CommandLogRepository
  let written: @Sendable (Int64) -> Void
  let failed: @Sendable () -> Void

  /// Writes the row in a transaction of its own.
  func writeAlone() async throws {
    let id: Int64
    do {
      id = try await logs.insert(log, now: log.issuedAt).id
    } catch {
      failed()
      throw error
    }
    written(id)
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

extension RateLimitDecision {
  /// Stands in where no limit applies.
  static let unlimited = RateLimitDecision(allowed: true, limit: 0, remaining: 0, resetAt: 0, retryAfterSec: nil)
}

/// Stores a claimed request's answer exactly once: when its response body has been written, or — if the server
/// never got to write it (the client went away while the command ran) — when the response is dropped, so a retry
/// with the same key replays the answer instead of finding the request "in progress" until the record expires.
private final class StoredAnswer: Sendable {
  private let work: @Sendable () async -> Void
  private let done = Atomic(false)

  init(_ work: @escaping @Sendable () async -> Void) {
    self.work = work
  }

  func store() async {
    guard !done.exchange(true, ordering: .acquiringAndReleasing) else { return }
    await work()
  }

  deinit {
    guard !done.load(ordering: .acquiring) else { return }
    Task { [work] in await work() }
  }
}
