import Logging
import MQTT
import SmartLampCore
import SmartLampStore
import Synchronization
import Tasmota
import TestSupport
import Testing

@testable import SmartLampServer

/// A broker that takes every command (PUBACK at once) and records it; nothing arrives.
final class AcceptingBroker: BrokerLink {
  private let published = Mutex<[String]>([])
  var topics: [String] { published.withLock { $0 } }

  var messages: MQTTInbox { .finished }
  var connections: AsyncStream<Void> { AsyncStream { $0.finish() } }
  var isConnected: Bool { true }
  var connectionCount: Int { 1 }
  var messagesReceived: Int { 0 }
  var oversizedSkipped: Int { 0 }
  var refusedFilters: [String] { [] }
  func problem() -> String? { nil }
  func publishCommand(topic: String, payload: String) async throws(BrokerUnavailable) {
    published.withLock { $0.append(topic) }
  }
  func publishQuery(topic: String, payload: String) async {}
}

/// ``CommandService`` on the clock it is given (not only its ledger): the acknowledgement deadline is armed on
/// that clock, a command times out when it reaches it, and the latency is measured on it. No broker, no sleeps.
@Suite struct CommandServiceClockTests {
  static let t0: Int64 = 1_767_283_200_000
  static let ackTimeout: Duration = .milliseconds(3000)

  struct Env {
    let clock: MockClock
    let service: CommandService
    let broker: AcceptingBroker
    let device: LampDevice
    let logs: CommandLogRepository
    /// The store's own database, behind whatever `wrap` put in front of it.
    let database: any SQLDatabase
  }

  /// A `CommandService` on a mock clock over a fresh SQLite store with one lamp, `lamp-a`; `wrap` may put a
  /// database in front of the store's (CommandAuditDeferralTests injects a full disk). Its `run()` loop runs meanwhile.
  static func withService(
    wrap: (any SQLDatabase) -> any SQLDatabase = { $0 },
    _ body: (Env, inout AsyncStream<MockClock.Instant>.Iterator) async throws -> Void
  ) async throws {
    let server = try await TestServer.on(.sqlite)
    let logger = Logger.quiet(level: .critical)
    let database = try await StoreBootstrap.open(configuration: server.configuration, logger: logger)
    let store = Store(database: wrap(database))
    _ = try await store.devices.create(NewDevice(deviceId: try DeviceID("lamp-a"), name: "A", commandChannel: .power))
    let state = DeviceStateService(store: store.deviceStates, logger: logger)
    state.setDevices(try await store.devices.lampDevices())
    let device = try #require(state.device(publicID: "lamp-a"))
    let clock = MockClock()
    let broker = AcceptingBroker()
    let service = CommandService(
      broker: broker, state: state, logs: store.commandLogs, hub: RealtimeHub(),
      ackTimeoutMs: Int(Self.ackTimeout.components.seconds * 1000), clock: ServerClock(clock, startingAt: Self.t0),
      logger: logger)
    var sleeps = clock.sleeps.makeAsyncIterator()
    let running = Task { try await service.run() }
    do {
      try await body(
        Env(
          clock: clock, service: service, broker: broker, device: device, logs: store.commandLogs, database: database),
        &sleeps)
    } catch {
      running.cancel()
      try? await database.close()
      throw error
    }
    running.cancel()
    _ = try? await running.value
    try await database.close()
  }

  @Test func anUnansweredCommandTimesOutWhenItsClockReachesTheDeadline() async throws {
    try await Self.withService { env, sleeps in
      async let result = env.service.execute(
        device: env.device, action: .on, requestId: "r-1", issuer: .init(origin: .user), waitForAck: true)
      // The deadline is armed on the given clock: issued at its start, due one ack timeout later.
      let deadline = await sleeps.next()
      #expect(deadline == MockClock.Instant(offset: Self.ackTimeout))
      try await poll("the command is published") { env.broker.topics.count == 1 }
      env.clock.advance(to: MockClock.Instant(offset: Self.ackTimeout))
      let answer = try await result
      #expect(answer.status == "TIMEOUT")
      #expect(answer.ackLatencyMs == nil)
      try await poll("the audit row records the timeout") {
        try await env.logs.byRequestId("r-1")?.status == .timeout
      }
      #expect(try await env.logs.byRequestId("r-1")?.issuedAt == Self.t0)
    }
  }

  @Test func anAcknowledgementIsTimedOnTheGivenClock() async throws {
    try await Self.withService { env, sleeps in
      async let result = env.service.execute(
        device: env.device, action: .off, requestId: "r-2", issuer: .init(origin: .user), waitForAck: true)
      _ = await sleeps.next()
      env.clock.advance(by: .milliseconds(40))
      #expect(
        env.service.deviceReported(mqttKey: env.device.mqttKey, relay: env.device.channel.relay, power: .off, at: 1))
      let answer = try await result
      #expect(answer.status == "ACKED")
      #expect(answer.ackLatencyMs == 40)
      // The deadline passing afterwards changes nothing.
      env.clock.advance(by: Self.ackTimeout)
      try await poll("the audit row records the acknowledgement") {
        try await env.logs.byRequestId("r-2")?.status == .acked
      }
      #expect(try await env.logs.byRequestId("r-2")?.ackLatencyMs == 40)
    }
  }
}
