import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SmartLampCore
import SmartLampStore
import Synchronization
import TestSupport
import Testing

@testable import SmartLampServer

/// A duplicate request waits for the first one on the server's clock (issue #13 item 5): on a mock clock its
/// `409 IDEMPOTENCY_IN_PROGRESS` comes when the test moves time past the wait limit — here an hour, which no real
/// clock would reach within the test — and once the first request answers, a later duplicate replays that answer.
@Suite struct IdempotencyClockTests {
  @Test func aDuplicateGivesUpOnTheServersClockAndALaterOneReplays() async throws {
    let directory = TemporaryDirectory(prefix: "idempotency-clock")
    let database = try SQLiteDatabase(path: directory.file("db.sqlite"))
    try await Migrator(database: database).migrate()
    let mock = MockClock()
    var idempotency = Idempotency(
      repository: IdempotencyRepository(database: database),
      clock: ServerClock(mock, startingAt: 1_767_225_600_000))
    idempotency.waitLimit = .seconds(3600)
    let gate = AsyncStream.makeStream(of: Void.self)
    let firstRuns = Atomic<Int>(0)
    let principal = Principal.user(UserPrincipal(id: 1, email: "ibu@rumah.id", name: "Ibu", role: .admin))

    let router = Router(context: AppRequestContext.self)
    router.post("/probe") { [idempotency] request, context -> Response in
      let body = try await request.body.collect(upTo: 1024)
      do {
        return try await idempotency.perform(
          request, context: context, principal: principal, body: body, required: true
        ) {
          firstRuns.add(1, ordering: .relaxed)
          for await _ in gate.stream { break }
          return Response(status: .created, body: .init(byteBuffer: ByteBuffer(string: #"{"first":true}"#)))
        }
      } catch let error as APIError {
        return Response(status: error.status, body: .init(byteBuffer: ByteBuffer(string: error.code)))
      }
    }
    let app = Application(router: router)
    try await app.test(.router) { client in
      @Sendable func send() async throws -> (HTTPResponse.Status, String, Bool) {
        try await client.execute(
          uri: "/probe", method: .post, headers: [.idempotencyKey: "same-key"], body: ByteBuffer(string: "{}")
        ) { ($0.status, String(buffer: $0.body), $0.headers[.idempotentReplayed] == "true") }
      }
      let first = Task { try await send() }
      try await poll("the first request runs") { firstRuns.load(ordering: .relaxed) == 1 }

      let answered = Mutex<(HTTPResponse.Status, String, Bool)?>(nil)
      let duplicate = Task {
        let reply = try await send()
        answered.withLock { $0 = reply }
      }
      // Time moves only when the test moves it: a minute per look until the duplicate has given up.
      try await poll("the duplicate gives up", timeout: .seconds(60)) {
        mock.advance(by: .seconds(60))
        return answered.withLock { $0 } != nil
      }
      try await duplicate.value
      let gaveUp = try #require(answered.withLock { $0 })
      #expect(gaveUp.0 == .conflict && gaveUp.1 == "IDEMPOTENCY_IN_PROGRESS", "\(gaveUp)")

      gate.continuation.yield()
      let original = try await first.value
      #expect(original.0 == .created && original.1 == #"{"first":true}"# && !original.2)
      let replay = try await send()
      #expect(replay.0 == .created && replay.1 == #"{"first":true}"# && replay.2, "\(replay)")
      #expect(firstRuns.load(ordering: .relaxed) == 1)
    }
    try await database.close()
  }
}
