import Foundation
import Logging
import MQTT
import NIOCore
import SmartLampCore
import SmartLampStore
import Tasmota
import TestSupport
import Testing

@testable import SmartLampServer

/// The hub and the state service on their own (no sockets; the command ledger has CommandLedgerTests).
@Suite struct LampUnitTests {
  static let quiet: Logger = {
    let logger = Logger.quiet(level: .critical)
    return logger
  }()

  static func owner() -> RealtimeHub.Owner {
    .init(principal: .user(UserPrincipal(id: 1, email: "a@b.cd", name: "A", role: .admin)), sessionID: nil)
  }

  @Test func hubDropsASlowSubscriberWithoutSlowingOthers() async throws {
    let hub = RealtimeHub(replayCapacity: 16)
    let slow = hub.subscribe(visible: [1], owner: Self.owner(), lastEventID: nil, capacity: 4)
    let fast = hub.subscribe(visible: [1], owner: Self.owner(), lastEventID: nil, capacity: 64)
    for index in 0..<10 { hub.publish(device: 1, json: "{\"n\":\(index)}") }
    #expect(hub.droppedCount == 1)
    #expect(hub.subscriberCount == 1)
    var received: [String] = []
    for await event in slow.events { received.append(event.json) }
    // The slow one got what fitted in its buffer, then its stream ended.
    #expect(received.count == 4)
    var fastCount = 0
    for await _ in fast.events {
      fastCount += 1
      if fastCount == 10 { break }
    }
    #expect(fastCount == 10)
  }

  @Test func hubFiltersByVisibilityAndReplaysAfterLastEventID() async throws {
    let hub = RealtimeHub(replayCapacity: 8)
    hub.publish(device: 1, json: "a")
    let mark = hub.publish(device: 2, json: "b")
    hub.publish(device: 1, json: "c")
    hub.publish(device: nil, json: "d")
    let resumed = hub.subscribe(visible: [1], owner: Self.owner(), lastEventID: mark, capacity: 8)
    #expect(resumed.replay?.map(\.json) == ["c", "d"])
    for _ in 0..<20 { hub.publish(device: 2, json: "x") }
    let tooOld = hub.subscribe(visible: [1], owner: Self.owner(), lastEventID: mark, capacity: 8)
    #expect(tooOld.replay == nil)
    let live = hub.subscribe(visible: [1], owner: Self.owner(), lastEventID: nil, capacity: 8)
    hub.publish(device: 2, json: "hidden")
    hub.publish(device: 1, json: "shown")
    var iterator = live.events.makeAsyncIterator()
    #expect(await iterator.next()?.json == "shown")
    #expect(hub.updateVisible(live.id, to: [1, 2]) == [2])
    #expect(hub.updateVisible(live.id, to: [1, 2]) == nil)
    hub.close(live.id)
    #expect(await iterator.next() == nil)
  }

  @Test func stateServiceIgnoresMalformedPayloadsAndTracksRelays() async throws {
    let directory = TemporaryDirectory(prefix: "lamp-state")
    let database = try SQLiteDatabase(path: directory.file("db.sqlite"))
    try await Migrator(database: database).migrate()
    let service = DeviceStateService(store: DeviceStateRepository(database: database), logger: Self.quiet)
    let devices = DeviceRepository(database: database)
    let one = LampDevice(
      try await devices.create(
        NewDevice(
          deviceId: try DeviceID("s-1"), mqttDeviceId: try DeviceID("Strip"), name: "1",
          commandChannel: try CommandChannel(index: 1))))
    let two = LampDevice(
      try await devices.create(
        NewDevice(
          deviceId: try DeviceID("s-2"), mqttDeviceId: try DeviceID("strip"), name: "2",
          commandChannel: try CommandChannel(index: 2))))
    service.setDevices(try await devices.lampDevices())
    func message(_ topic: String, _ payload: String) -> MQTTMessage {
      MQTTMessage(topic: topic, payload: ByteBuffer(string: payload))
    }
    _ = service.ingest(message("stat/STRIP/RESULT", "{\"POWER1\":\"ON\",\"POWER2\":\"OFF\"}"), now: 100)
    for garbage in [
      ("stat/strip/RESULT", "{\"POWER1\":"), ("tele/strip/STATE", "not json"), ("stat/strip/POWER1", "BLINK"),
      ("tele/strip/LWT", ""), ("stat/strip/POWER2", "\u{0}\u{1}"),
    ] {
      _ = service.ingest(message(garbage.0, garbage.1), now: 200)
    }
    #expect(service.counters.malformed >= 4)
    #expect(service.status(of: one, lastCommand: nil).power == "ON")
    #expect(service.status(of: two, lastCommand: nil).power == "OFF")
    #expect(service.status(of: two, lastCommand: nil).updatedAtMillis == 100)
    // Telemetry carries RSSI; LWT Online asks for the state of every registered relay.
    _ = service.ingest(
      message("tele/strip/STATE", "{\"POWER1\":\"OFF\",\"Wifi\":{\"RSSI\":76},\"UptimeSec\":12}"), now: 300)
    #expect(service.status(of: one, lastCommand: nil).rssi == 76)
    let queries = service.ingest(message("strip/tele/LWT", "Online"), now: 400).queries
    #expect(Set(queries.map(\.topic)) == ["strip/cmnd/POWER1", "strip/cmnd/POWER2"])
    #expect(queries.allSatisfy { $0.payload.isEmpty })
    #expect(service.status(of: one, lastCommand: nil).online == true)

    // Written through and loaded again by a fresh service.
    await service.flush()
    let reloaded = DeviceStateService(store: DeviceStateRepository(database: database), logger: Self.quiet)
    reloaded.setDevices(try await devices.lampDevices())
    reloaded.load(try await DeviceStateRepository(database: database).loadAll())
    #expect(reloaded.status(of: one, lastCommand: nil).power == "OFF")
    #expect(reloaded.status(of: one, lastCommand: nil).online == true)
    #expect(reloaded.status(of: two, lastCommand: nil).power == "OFF")
    // No report: the last command, else UNKNOWN.
    let three = LampDevice(
      try await devices.create(
        NewDevice(deviceId: try DeviceID("s-3"), mqttDeviceId: try DeviceID("quiet"), name: "3")))
    #expect(reloaded.status(of: three, lastCommand: nil).source == .none)
    #expect(reloaded.status(of: three, lastCommand: nil).power == "UNKNOWN")
    let fromCommand = reloaded.status(of: three, lastCommand: ("ON", 5))
    #expect(fromCommand.source == .command)
    #expect(fromCommand.power == "ON")
    try await database.close()
  }

  @Test func idempotencyHashCoversMethodPathAndBody() {
    let a = Idempotency.hash(method: "POST", path: "/x", body: ByteBuffer(string: "{}"))
    // Lowercase hex of SHA-256 over `<method>|<path>|<body>`, as stored by earlier versions and upstream.
    #expect(a == "683ffe2b88ca9fd81956e231e1ee6ab8c6cdbb1648b44c51a9caa5c186f6b165")
    #expect(a != Idempotency.hash(method: "PATCH", path: "/x", body: ByteBuffer(string: "{}")))
    #expect(a != Idempotency.hash(method: "POST", path: "/y", body: ByteBuffer(string: "{}")))
    #expect(a != Idempotency.hash(method: "POST", path: "/x", body: ByteBuffer(string: "{ }")))
    #expect(a == Idempotency.hash(method: "POST", path: "/x", body: ByteBuffer(string: "{}")))
  }
}
