import Foundation
import Logging
import SmartLampCore
import SmartLampStore
import Tasmota
import TestSupport
import Testing

@testable import SmartLampServer

/// The native profile inside the state service, without a broker: how the profile is chosen and that it survives a
/// restart (what acknowledges or fails a signed command: CommandLedgerTests).
@Suite struct NativeStateUnitTests {
  static let quiet: Logger = {
    let logger = Logger.quiet(level: .critical)
    return logger
  }()

  @Test func profileFollowsWhatTheDevicePublishesAndIsPersisted() async throws {
    let directory = TemporaryDirectory(prefix: "native-state")
    let database = try SQLiteDatabase(path: directory.file("db.sqlite"))
    try await Migrator(database: database).migrate()
    let service = DeviceStateService(store: DeviceStateRepository(database: database), logger: Self.quiet)
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
        return service.ingest(native, topic: topic, now: now).queries
      }
      return service.ingest(TasmotaMessage.parse(topic: topic, payload: bytes), topic: topic, now: now).queries
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
    let reloaded = DeviceStateService(store: DeviceStateRepository(database: database), logger: Self.quiet)
    reloaded.setDevices(try await devices.lampDevices())
    reloaded.load(try await DeviceStateRepository(database: database).loadAll())
    #expect(reloaded.profile(of: lamp) == .native)
    #expect(reloaded.profile(of: plug) == .tasmota)
    #expect(reloaded.status(of: lamp, lastCommand: nil).profile == .native)
    try await database.close()
  }
}
