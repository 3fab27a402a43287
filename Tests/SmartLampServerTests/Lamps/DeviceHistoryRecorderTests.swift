import Logging
import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

@testable import SmartLampServer

/// The device-side history buffer: batches survive a failed write and go out with the next flush; while the
/// database stays away the buffer keeps only the newest rows.
@Suite struct DeviceHistoryRecorderTests {
  static func change(_ device: Int64, at: Int64) -> NewDeviceHistory {
    NewDeviceHistory(
      deviceInternalId: device, channel: .power, power: .on, source: "tasmota_stat_power", occurredAt: at)
  }

  @Test func aFailedWriteIsRetriedAndAFullBufferKeepsTheNewest() async throws {
    let server = TestServer()
    let base = try await StoreBootstrap.open(configuration: server.configuration, logger: Logger.quiet())
    let database = FaultInjectingDatabase(base: base)
    let store = Store(database: database)
    let lamp = try await store.devices.create(NewDevice(deviceId: try DeviceID("teras"), name: "Teras"))
    let recorder = DeviceHistoryRecorder(
      repository: store.deviceHistory, logger: Logger.quiet(), capacity: 3)
    func stored() async throws -> [Int64] {
      try await store.lampHistory.page(deviceInternalId: lamp.id, limit: 50).items.map(\.position.at).reversed()
    }

    database.fail(statementsContaining: "INSERT INTO device_history", times: 1)
    recorder.record(Self.change(lamp.id, at: 1))
    recorder.record(Self.change(lamp.id, at: 2))
    await recorder.flush()
    #expect(try await stored() == [])
    #expect(recorder.pendingCount == 2)
    await recorder.flush()
    #expect(try await stored() == [1, 2])
    #expect(recorder.pendingCount == 0)

    database.fail(statementsContaining: "INSERT INTO device_history")
    for at in 3...5 { recorder.record(Self.change(lamp.id, at: Int64(at))) }
    await recorder.flush()
    recorder.record(Self.change(lamp.id, at: 6))
    #expect(recorder.pendingCount == 3)
    database.heal()
    await recorder.flush()
    #expect(try await stored() == [1, 2, 4, 5, 6])
    try await database.close()
  }
}
