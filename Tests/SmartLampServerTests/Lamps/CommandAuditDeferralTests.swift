import Logging
import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

@testable import SmartLampServer

/// A command that went out while the database could not take its audit row (a full disk, issue #10) is answered
/// with its outcome like any other, and its row is written once the database takes writes again — with the outcome
/// known by then, however long after its deadline that is. No broker and no sleeps: the broker takes every command
/// at once, the deadline is on a mock clock, and the database refuses `INSERT INTO command_logs` with the error a
/// full disk gives until it is healed.
@Suite struct CommandAuditDeferralTests {

  @Test func aCommandWhoseAuditRowTheDiskRefusesIsAnsweredAndAuditedOnceSpaceReturns() async throws {
    var injected: FaultInjectingDatabase?
    try await CommandServiceClockTests.withService(wrap: { base in
      let database = FaultInjectingDatabase(base: base)
      injected = database
      return database
    }) { env, sleeps in
      let database = try #require(injected)
      let (service, broker, clock, device) = (env.service, env.broker, env.clock, env.device)
      database.fail(
        statementsContaining: "INSERT INTO command_logs", with: SQLError.storageFull("13: database or disk is full"))
      // Acknowledged while the disk is full: the answer says so, as it would with room to spare.
      async let waited = service.execute(
        device: device, action: .on, requestId: "r-acked", issuer: .init(origin: .user), waitForAck: true)
      _ = await sleeps.next()
      try await poll("the command is published") { broker.topics.count == 1 }
      clock.advance(by: .milliseconds(40))
      #expect(service.deviceReported(mqttKey: device.mqttKey, relay: device.channel.relay, power: .on, at: 1))
      let acked = try await waited
      #expect(acked.status == "ACKED")
      #expect(acked.ackLatencyMs == 40)
      // Answered without waiting, then left unanswered by the lamp.
      let published = try await service.execute(
        device: device, action: .off, requestId: "r-timeout", issuer: .init(origin: .user), waitForAck: false)
      #expect(published.status == "PUBLISHED")
      #expect(broker.topics.count == 2)
      #expect(try await env.logs.byRequestId("r-acked") == nil, "the disk is still full")

      // Long past both deadlines: the ledger forgets decided commands by then, but not one whose row is to come.
      clock.advance(by: CommandServiceClockTests.ackTimeout * 3 + .seconds(11))
      try await poll("the second command timed out") {
        service.outcomeMetrics.outcomes.value(["TIMEOUT"]) == 1
      }
      #expect(try await env.logs.byRequestId("r-timeout") == nil, "the disk is still full")

      database.heal()
      try await poll("both rows written once space is back", timeout: .seconds(20)) {
        let first = try await env.logs.byRequestId("r-acked")?.status
        let second = try await env.logs.byRequestId("r-timeout")?.status
        return first == .acked && second == .timeout
      }
      let row = try #require(try await env.logs.byRequestId("r-acked"))
      #expect(row.ackLatencyMs == 40)
      #expect(row.issuedAt == CommandServiceClockTests.t0)
      let rows = try await env.database.read { conn in
        try conn.queryOne("SELECT COUNT(*) AS n FROM command_logs")?.int("n")
      }
      #expect(rows == 2, "one row per command that went out")
    }
  }
}
