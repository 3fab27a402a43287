import Foundation
import Logging
import SmartLampCore
import SmartLampStore
import Tasmota
import TestSupport
import Testing

@testable import SmartLampServer

/// The bootstrap builds its devices from one read of each device's live state (issue #10); they must be the
/// devices the service's own accessors describe: profile, command topic (wire case, topic order, signed lamps on
/// `POWER`), presence — for devices heard in every way and for one never heard.
@Suite struct DeviceJSONLiveTests {
  @Test func aDeviceFromItsLiveStateIsTheDeviceFromTheService() async throws {
    let directory = TemporaryDirectory(prefix: "device-json-live")
    let database = try SQLiteDatabase(path: directory.file("db.sqlite"))
    try await Migrator(database: database).migrate()
    let service = DeviceStateService(
      store: DeviceStateRepository(database: database), logger: Logger.quiet(level: .critical))
    let repository = DeviceRepository(database: database)
    _ = try await repository.create(
      NewDevice(deviceId: try DeviceID("teras"), mqttDeviceId: try DeviceID("LAMPU-TERAS"), name: "Teras"))
    _ = try await repository.create(
      NewDevice(deviceId: try DeviceID("plug"), mqttDeviceId: try DeviceID("plug"), name: "P"))
    _ = try await repository.create(NewDevice(deviceId: try DeviceID("swapped"), name: "S", location: "Dapur"))
    _ = try await repository.create(NewDevice(deviceId: try DeviceID("silent"), name: "Never heard"))
    var devices = try await repository.lampDevices()
    // A signed lamp: its commands go to POWER whatever its channel; the plug switches its second relay.
    devices[0].secret = try DeviceSecret("f43a301812844e47ab5908ebae902934")
    devices[0].channel = TasmotaChannel.normalised("POWER3")
    devices[1].channel = TasmotaChannel.normalised("POWER2")
    service.setDevices(devices)

    func ingest(_ topic: String, _ payload: String, at now: Int64) {
      let bytes = Array(payload.utf8)
      if let native = NativeMessage.parse(topic: topic, payload: bytes) {
        _ = service.ingest(native, topic: topic, now: now)
      } else {
        _ = service.ingest(TasmotaMessage.parse(topic: topic, payload: bytes), topic: topic, now: now)
      }
    }
    ingest("home/lampu-teras/lwt", "ONLINE", at: 1_000)
    ingest("home/lampu-teras/status", #"{"deviceId":"lampu-teras","power":"ON","rssi":-60}"#, at: 2_000)
    ingest("tele/plug/LWT", "Online", at: 3_000)
    ingest("stat/plug/POWER", "OFF", at: 4_000)
    ingest("swapped/tele/LWT", "Online", at: 5_000)
    ingest("swapped/tele/LWT", "Offline", at: 6_000)

    let grant = DeviceGrant(devicePermission: .control, schedulePermission: .none)
    let live = service.liveStates(of: devices)
    #expect(live.count == devices.count)
    #expect(live[3] == nil, "the silent device was never heard")
    for (device, state) in zip(devices, live) {
      let fromService = try EnvelopeResponse.encoder.encode(DeviceJSON(device, grant: grant, state: service))
      let fromLive = try EnvelopeResponse.encoder.encode(DeviceJSON(device, grant: grant, live: state))
      #expect(
        try JSONDecoder().decode(JSONValue.self, from: fromLive)
          == JSONDecoder().decode(JSONValue.self, from: fromService), "\(device.deviceId)")
    }
    // The cases above differ where it matters (else the comparison would prove little).
    let topics = zip(devices, live).map { DeviceStateService.commandTopic(of: $0, live: $1) }
    #expect(topics == ["cmnd/lampu-teras/POWER", "cmnd/plug/POWER2", "swapped/cmnd/POWER", "cmnd/silent/POWER"])
    #expect(live[2]?.onlineChangedAt == 6_000 && live[0]?.profile == .native)
  }
}
