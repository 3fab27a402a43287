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

/// The ingest loop's batches and frames: a batch of messages leaves the state, and the facts, as the same messages
/// one by one did; the status and lwt frames written without Foundation hold the keys and values Foundation's
/// encoder (``RealtimeEvent/json(_:)``) wrote for them (compared key-order-insensitively, as JSONByteWriterTests
/// does).
@Suite struct IngestBatchTests {
  static let awkwardStrings = JSONByteWriterTests.awkwardStrings

  static func status(_ index: Int) -> RealtimeEvent.Status {
    let strings = awkwardStrings
    func text(_ offset: Int) -> String { strings[(index + offset) % strings.count] }
    let millis: [Int64?] = [
      nil, 0, 1, 999, 86_399_999, 951_782_400_000, 1_709_164_799_999, 1_767_283_200_123, 4_107_542_399_999,
      253_402_300_799_999, -1, -86_400_001, 253_402_300_800_000,
    ]
    let sources: [DeviceStatus.Source] = [.device, .command, .none]
    let profiles: [DeviceProfile?] = [nil, .tasmota, .native]
    let onlines: [Bool?] = [nil, true, false]
    let status = DeviceStatus(
      deviceId: text(0), power: text(1), online: onlines[index % 3], updatedAtMillis: millis[index % millis.count],
      source: sources[(index / 3) % 3], rssi: index % 4 == 0 ? nil : [0, -1, 100, Int.max, Int.min][index % 5],
      commandChannel: text(2), profile: profiles[(index / 2) % 3])
    let ts = JSONByteWriterTests.awkwardIntegers[index % JSONByteWriterTests.awkwardIntegers.count] ?? 0
    return RealtimeEvent.Status(deviceId: text(3), payload: .init(status: status, reportSource: text(4)), ts: ts)
  }

  @Test(arguments: 0..<36)
  func aStatusFrameIsWrittenAsFoundationWritesIt(index: Int) throws {
    let event = Self.status(index)
    let foundation = RealtimeEvent.json(event)
    #expect(foundation != "{}", "Foundation encoded it")
    #expect(try Canonical.sorted(Array(event.json.utf8)) == Canonical.sorted(Array(foundation.utf8)))
  }

  @Test(arguments: 0..<12)
  func anLWTFrameIsWrittenAsFoundationWritesIt(index: Int) throws {
    let strings = Self.awkwardStrings
    let event = RealtimeEvent.LWT(
      deviceId: strings[index], payload: strings[(index + 5) % strings.count],
      online: [nil, true, false][index % 3], ts: JSONByteWriterTests.awkwardIntegers[index % 10] ?? -5)
    let foundation = RealtimeEvent.json(event)
    #expect(foundation != "{}", "Foundation encoded it")
    #expect(try Canonical.sorted(Array(event.json.utf8)) == Canonical.sorted(Array(foundation.utf8)))
    #expect(event.json.contains("\"online\"") == (event.online != nil), "an unknown online state is left out")
  }

  /// The status frame's `updatedAt` without Foundation's formatter: the same text as ``Timestamp/iso(_:)`` on
  /// every third day from 1970 to 2400 (at a time of day that moves with the day) and at the ends of the range.
  @Test func timestampsAreWrittenAsTimestampWritesThem() {
    var millis: [Int64?] = [nil, 0, 253_402_300_799_999, 253_402_300_800_000, -1, -86_400_001]
    for day in stride(from: Int64(0), to: 157_000, by: 3) {
      millis.append(day * 86_400_000 + (day * 7_919_777) % 86_400_000)
    }
    for value in millis {
      var writer = JSONByteWriter()
      writer.isoTimestamp(value)
      let expected = value.map { "\"" + Timestamp.iso($0) + "\"" } ?? "null"
      if String(decoding: writer.bytes, as: UTF8.self) != expected {
        Issue.record("\(String(describing: value)): \(String(decoding: writer.bytes, as: UTF8.self)) != \(expected)")
        return
      }
    }
  }

  @Test func aStatusFrameIsOneLine() {
    for index in 0..<36 { #expect(!Self.status(index).json.contains("\n")) }
  }

  static func service() async throws -> (DeviceStateService, [LampDevice], TemporaryDirectory) {
    let directory = TemporaryDirectory(prefix: "ingest-batch")
    let database = try SQLiteDatabase(path: directory.file("db.sqlite"))
    try await Migrator(database: database).migrate()
    let service = DeviceStateService(
      store: DeviceStateRepository(database: database), logger: Logger.quiet(level: .critical))
    let devices = [
      LampDevice(
        id: 1, deviceId: "strip-1", mqttDeviceId: "Strip", name: "1", location: nil, channel: .normalised("POWER1"),
        createdAt: "", secret: nil),
      LampDevice(
        id: 2, deviceId: "strip-2", mqttDeviceId: "strip", name: "2", location: nil, channel: .normalised("POWER2"),
        createdAt: "", secret: nil),
      LampDevice(
        id: 3, deviceId: "teras", mqttDeviceId: "lampu-teras", name: "3", location: nil, channel: .normalised("POWER"),
        createdAt: "", secret: nil),
    ]
    service.setDevices(devices)
    return (service, devices, directory)
  }

  static let messages: [(String, String)] = [
    ("stat/STRIP/RESULT", #"{"POWER1":"ON","POWER2":"OFF"}"#),
    ("tele/strip/STATE", #"{"POWER1":"OFF","Wifi":{"RSSI":76},"UptimeSec":12}"#),
    ("tele/strip/STATE", "not json"),
    ("strip/tele/LWT", "Online"),
    ("stat/strip/POWER2", "ON"),
    ("home/lampu-teras/lwt", "ONLINE"),
    ("home/lampu-teras/status", #"{"deviceId":"lampu-teras","power":"ON","rssi":-60,"requestId":"r-1"}"#),
    ("home/lampu-teras/status", #"{"deviceId":"lampu-teras","power":"ON","requestId":"r-2","error":"EXPIRED"}"#),
    ("home/lampu-teras/status", #"{"deviceId":"lampu-teras","power":"OFF"}"#),
    ("tele/strip/LWT", "Offline"),
    ("tele/unknown/STATE", #"{"POWER":"ON"}"#),
  ]

  /// What a test can compare of a fact (its tuples and enums are not Equatable).
  static func summary(_ facts: StateFacts) -> String {
    let events = facts.events.map { "\($0.device) \($0.json)" }
    let reports = facts.reports.map { "\($0.relay)=\($0.power)" }
    let changes = facts.changes.map { "\($0.relay)=\($0.power) \($0.devices.map(\.id))" }
    let queries = facts.queries.map { "\($0.topic) \($0.payload)" }
    return
      "\(facts.mqttKey ?? "-") \(facts.at) \(facts.source) \(events) \(reports) \(changes) "
      + "\(facts.echoedRequestID ?? "-") \(String(describing: facts.refusal)) \(queries)"
  }

  @Test func aBatchIsAppliedAsItsMessagesOneByOne() async throws {
    let (single, devices, first) = try await Self.service()
    let (batched, _, second) = try await Self.service()
    defer { _ = (first, second) }
    let parsed = Self.messages.map { DeviceMessage(MQTTMessage(topic: $0.0, payload: ByteBuffer(string: $0.1))) }
    let one = parsed.map { single.ingest([$0], now: 100)[0] }
    let all = batched.ingest(parsed, now: 100)
    #expect(all.map(Self.summary) == one.map(Self.summary))
    for device in devices {
      #expect(batched.status(of: device, lastCommand: nil) == single.status(of: device, lastCommand: nil))
      #expect(batched.presence(of: device) == single.presence(of: device))
    }
    #expect(batched.counters == single.counters)
    #expect(batched.counters.malformed == 1)
    // The batch holds what the loop passes on: frames, an echo, a refusal, the state queries after Online.
    #expect(all[0].events.count == 2 && all[0].reports.count == 2)
    #expect(all[1].changes.map(\.relay) == [1])
    #expect(all[3].queries.map(\.topic) == ["strip/cmnd/POWER1", "strip/cmnd/POWER2"])
    #expect(all[6].echoedRequestID == "r-1")
    #expect(all[7].refusal == .init(wireRequestID: "r-2", code: "EXPIRED"))
    #expect(all[10].events.isEmpty)
  }

  /// The inventory returns what its inbox shows changed (the loop tells administrators' streams); it used to call
  /// a listener read out of a Mutex, which wrapped the closure in two more thunks at every read.
  @Test func theDiscoveryInboxReturnsItsChanges() {
    let inventory = DiscoveryInventory()
    func ingest(_ topic: String, _ payload: String) -> DiscoveryInventory.Shown? {
      inventory.ingest(MQTTMessage(topic: topic, payload: ByteBuffer(string: payload)), now: 1)
    }
    #expect(ingest("tele/Plug-1/LWT", "Online") == .init(mqttDeviceID: "Plug-1", change: .added))
    #expect(ingest("tele/plug-1/LWT", "Online") == nil, "nothing the inbox shows changed")
    #expect(ingest("stat/plug-1/RESULT", #"{"POWER":"ON"}"#) == .init(mqttDeviceID: "plug-1", change: .changed))
    #expect(ingest("stat/plug-1/RESULT", #"{"POWER":"OFF"}"#) == nil, "power alone is no change")
    #expect(ingest("tele/plug-1/LWT", "Offline") == .init(mqttDeviceID: "plug-1", change: .changed))
    #expect(ingest("cmnd/plug-1/POWER", "ON") == nil)
  }
}
