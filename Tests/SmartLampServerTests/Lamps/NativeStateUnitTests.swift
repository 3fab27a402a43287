import Foundation
import Logging
import SmartLampCore
import SmartLampStore
import Tasmota
import TestSupport
import Testing

@testable import SmartLampServer

/// The native profile inside the state service and the acknowledgement tracker, without a broker: how the profile
/// is chosen, what acknowledges or fails a signed command, and that the profile survives a restart.
@Suite struct NativeStateUnitTests {
  static let quiet: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
  }()

  @Test func signedCommandsAreMatchedByRequestIdOnly() {
    let outcomes = Locked<[AckTracker.Outcome]>([])
    let tracker = AckTracker(timeout: .seconds(30)) { _, outcome in outcomes.withLock { $0.append(outcome) } }
    let context = AckTracker.CommandContext(requestId: "r", deviceInternalId: 1, deviceId: "d", action: "ON")
    let signed = tracker.register(mqttKey: "lamp", relay: 1, expected: .on, wireRequestID: "req-1", context: context)
    let plain = tracker.register(mqttKey: "lamp", relay: 1, expected: .on, context: context)
    // The reported power acknowledges the plain command only.
    tracker.report(mqttKey: "lamp", relay: 1, power: .on, at: 1)
    #expect(tracker.knownOutcome(of: plain) != nil)
    #expect(tracker.knownOutcome(of: signed) == nil)
    tracker.acknowledge(mqttKey: "other", requestID: "req-1", at: 2)
    tracker.acknowledge(mqttKey: "lamp", requestID: "req-2", at: 2)
    #expect(tracker.knownOutcome(of: signed) == nil, "another lamp's or another command's id")
    tracker.acknowledge(mqttKey: "lamp", requestID: "req-1", at: 3)
    guard case .acked(let at, _) = tracker.knownOutcome(of: signed) else {
      Issue.record("not acknowledged by its request id")
      return
    }
    #expect(at == 3)

    let refused = tracker.register(mqttKey: "lamp", relay: 1, expected: .off, wireRequestID: "req-3", context: context)
    tracker.refuse(mqttKey: "lamp", requestID: "req-3", code: "REPLAYED")
    #expect(tracker.knownOutcome(of: refused) == .refused(code: "REPLAYED"))
    tracker.acknowledge(mqttKey: "lamp", requestID: "req-3", at: 4)
    #expect(tracker.knownOutcome(of: refused) == .refused(code: "REPLAYED"), "an outcome is final")
    #expect(CommandService.describe(.refused(code: "REPLAYED")).status == .failed)
    #expect(CommandService.error(of: .refused(code: "REPLAYED")) == "REPLAYED")
    let plainAgain = tracker.register(mqttKey: "lamp", relay: 1, expected: .on, context: context)
    let signedAgain = tracker.register(
      mqttKey: "lamp", relay: 1, expected: .on, wireRequestID: "req-4", context: context)
    tracker.refusePlain(mqttKey: "lamp", code: "SIGNATURE_REQUIRED")
    #expect(tracker.knownOutcome(of: plainAgain) == .refused(code: "SIGNATURE_REQUIRED"))
    #expect(tracker.knownOutcome(of: signedAgain) == nil, "a signed command is not what the lamp refused")
    #expect(outcomes.withLock { $0.count } == 4)
  }

  @Test func profileFollowsWhatTheDevicePublishesAndIsPersisted() async throws {
    let directory = TemporaryDirectory(prefix: "native-state")
    let database = try SQLiteDatabase(path: directory.file("db.sqlite"))
    try await Migrator(database: database).migrate()
    let tracker = AckTracker(timeout: .seconds(1)) { _, _ in }
    let service = DeviceStateService(
      hub: RealtimeHub(), acks: tracker, store: DeviceStateRepository(database: database), logger: Self.quiet)
    let devices = DeviceRepository(database: database)
    let lamp = LampDevice(
      try await devices.create(
        NewDevice(deviceId: try DeviceID("teras"), mqttDeviceId: try DeviceID("LAMPU-TERAS"), name: "Teras")))
    let plug = LampDevice(
      try await devices.create(NewDevice(deviceId: try DeviceID("plug"), mqttDeviceId: try DeviceID("plug"), name: "P"))
    )
    service.setDevices(try await devices.lampDevices())
    func ingest(_ topic: String, _ payload: String, at now: Int64) -> [(topic: String, payload: String)] {
      let bytes = Array(payload.utf8)
      if let native = NativeMessage.parse(topic: topic, payload: bytes) {
        return service.ingest(native, topic: topic, now: now)
      }
      return service.ingest(TasmotaMessage.parse(topic: topic, payload: bytes), topic: topic, now: now)
    }

    #expect(service.profile(of: lamp) == nil)
    // stat/ first (both kinds send it): a guess; the native report settles it; later stat/ does not undo it.
    _ = ingest("stat/lampu-teras/POWER", "OFF", at: 1)
    #expect(service.profile(of: lamp) == .tasmota)
    let queries = ingest("home/lampu-teras/lwt", "ONLINE", at: 2)
    #expect(queries.map(\.topic) == ["cmnd/lampu-teras/POWER"], "state query in the lamp's own case")
    #expect(service.profile(of: lamp) == .native)
    _ = ingest("home/lampu-teras/status", #"{"deviceId":"lampu-teras","power":"ON","rssi":-60}"#, at: 3)
    _ = ingest("stat/lampu-teras/RESULT", #"{"POWER":"ON"}"#, at: 4)
    #expect(service.profile(of: lamp) == .native)
    let status = service.status(of: lamp, lastCommand: nil)
    #expect(status.power == "ON" && status.online == true && status.rssi == 80 && status.profile == .native)
    #expect(service.wireID(mqttKey: lamp.mqttKey) == "lampu-teras")

    // A refusal report is neither state nor a profile change for the worse; malformed ones are counted.
    _ = ingest(
      "home/lampu-teras/status",
      #"{"deviceId":"lampu-teras","power":"OFF","reason":"refused","requestId":"x-1","error":"SIGNATURE_INVALID"}"#,
      at: 5)
    let malformedBefore = service.counters.malformed
    _ = ingest("home/lampu-teras/status", #"{"deviceId":"lampu-teras","power":false}"#, at: 6)
    #expect(service.counters.malformed == malformedBefore + 1)
    #expect(service.status(of: lamp, lastCommand: nil).power == "ON")

    // Tasmota-only reports make a device tasmota.
    _ = ingest("tele/plug/LWT", "Online", at: 7)
    #expect(service.profile(of: plug) == .tasmota)

    await service.flush()
    let reloaded = DeviceStateService(
      hub: RealtimeHub(), acks: tracker, store: DeviceStateRepository(database: database), logger: Self.quiet)
    reloaded.setDevices(try await devices.lampDevices())
    reloaded.load(try await DeviceStateRepository(database: database).loadAll())
    #expect(reloaded.profile(of: lamp) == .native)
    #expect(reloaded.profile(of: plug) == .tasmota)
    #expect(reloaded.status(of: lamp, lastCommand: nil).profile == .native)
    try await database.close()
  }
}
