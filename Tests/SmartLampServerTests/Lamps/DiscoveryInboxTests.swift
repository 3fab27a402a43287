import DeviceSimulator
import Foundation
import Logging
import MQTT
import Tasmota
import TestSupport
import Testing

@testable import SmartLampServer

/// Issue #8 item 2, the discovery inbox with the real simulator: a 4-relay board appears by itself (an admin's
/// stream hears `discovery`, a member's does not), each relay named after the FriendlyName the device sent, and
/// becomes four lamps that each switch their own relay; "probe again" asks the Tasmota group topic too, so a device
/// the server never heard answers within the bounded wait.
@Suite(.serialized) struct DiscoveryInboxTests {
  /// A Tasmota that has said nothing yet and only answers `STATUS 0` on the group topic.
  struct GroupOnlyDevice: Sendable {
    let client: MQTTClient
    let task: Task<Void, Never>

    static func start(_ env: LampEnv, topic: String, names: [String]) async throws -> GroupOnlyDevice {
      let client = MQTTClient(
        configuration: try MQTTClientConfiguration(url: env.brokerURL, clientID: "grp-\(UUID().uuidString.prefix(8))"))
      try await client.connect()
      let commands = try await client.subscribe(["cmnd/tasmotas/STATUS"], qos: .atLeastOnce)
      let quoted = names.map { "\"\($0)\"" }.joined(separator: ",")
      let powers = names.indices.map { "\"POWER\($0 + 1)\":\"OFF\"" }.joined(separator: ",")
      let task = Task {
        for await message in commands where message.payloadString == "0" {
          try? await client.publish(
            topic: "stat/\(topic)/STATUS",
            payload:
              "{\"Status\":{\"Module\":0,\"DeviceName\":\"Papan Grup\",\"FriendlyName\":[\(quoted)],\"Topic\":\"\(topic)\",\"Power\":\"0000\"}}",
            qos: .atLeastOnce)
          try? await client.publish(
            topic: "stat/\(topic)/STATUS11", payload: "{\"StatusSTS\":{\(powers)}}", qos: .atLeastOnce)
        }
      }
      return GroupOnlyDevice(client: client, task: task)
    }

    func stop() async {
      task.cancel()
      await client.disconnect()
    }
  }

  static func quietLogger() -> Logger {
    var logger = Logger(label: "sim")
    logger.logLevel = .error
    return logger
  }

  static func inbox(_ env: LampEnv) async throws -> [JSONValue] {
    try await env.call(.get, "/api/v1/devices/discovery").data?["devices"]?.lampArray ?? []
  }

  @Test func aFourRelayBoardAppearsLiveAndBecomesFourLamps() async throws {
    try await LampEnv.with { env in
      // A member with one lamp of their own: its status frame marks where a leaked discovery frame would be.
      try await env.createDevice("marker")
      let member = try await env.createMember("inbox@example.com")
      try await env.assign(member.id, ["marker": "control"])
      let markerLamp = try await env.startLamp("marker")
      try await poll("marker online") {
        try await env.call(.get, "/api/v1/devices/marker/status").data?["online"]?.lampBool == true
      }
      let adminStream = try await SSEClient.open(port: env.port, token: env.adminToken)
      let memberStream = try await SSEClient.open(port: env.port, token: member.token)

      let simulator = try DeviceSimulator(
        configuration: .fleet(brokerURL: env.brokerURL, count: 1, relays: 4, prefix: "inbox"),
        logger: Self.quietLogger())
      let topic = try #require(simulator.deviceTopics.first)
      let run = Task { await simulator.run() }

      let announced = try await adminStream.events.next(within: .seconds(10), "discovery event") {
        $0.type == "discovery" && $0.json?["mqttDeviceId"]?.string == topic
      }
      #expect(announced?.json?["change"]?.string == "added")
      #expect(announced?.id != nil)

      try await poll("four relays in the inbox") {
        let entries = try await Self.inbox(env).filter { $0["mqttDeviceId"]?.string == topic }
        return entries.count == 4 && entries.allSatisfy { $0["online"]?.lampBool == true }
      }
      let entries = try await Self.inbox(env).filter { $0["mqttDeviceId"]?.string == topic }
      let names = ["inbox 1", "inbox 1 2", "inbox 1 3", "inbox 1 4"]
      #expect(entries.map { $0["commandChannel"]?.string } == ["POWER1", "POWER2", "POWER3", "POWER4"])
      #expect(entries.map { $0["suggestedName"]?.string } == names)
      #expect(entries.map { $0["friendlyName"]?.string } == names)
      #expect(entries.first?["friendlyNames"]?.lampArray?.map(\.string) == names)
      #expect(entries.first?["relays"]?.lampArray?.map(\.string) == ["POWER1", "POWER2", "POWER3", "POWER4"])
      #expect(entries.first?["deviceName"]?.string == "inbox 1")
      #expect(
        entries.allSatisfy { $0["registered"]?.lampBool == false && $0["registeredDeviceId"]?.lampIsNull == true })
      #expect((entries.first?["lastSeenAtMs"]?.lampInt ?? 0) > 0)

      // The member's stream never carries the inbox: its marker status arrives with no discovery frame before it.
      try await markerLamp.publishRaw(topic: "stat/marker/POWER", payload: "ON")
      let seen = Locked<[String]>([])
      _ = try await memberStream.events.next(within: .seconds(10), "marker status") { frame in
        seen.withLock { $0.append(frame.type ?? "") }
        return frame.type == "status" && frame.json?["payload"]?["power"]?.string == "ON"
      }
      #expect(!seen.withLock { $0 }.contains("discovery"), "\(seen.withLock { $0 })")

      // One click per relay: each lamp takes the entry's id, name and channel and switches its own relay.
      for entry in entries {
        let id = try #require(entry["deviceId"]?.string)
        let body =
          "{\"deviceId\":\"\(id)\",\"mqttDeviceId\":\"\(topic)\",\"name\":\"\(entry["suggestedName"]?.string ?? "")\",\"commandChannel\":\"\(entry["commandChannel"]?.string ?? "")\"}"
        let made = try await env.call(.post, "/api/v1/devices", json: body, idempotencyKey: "add-\(id)")
        #expect(made.status == 201, "\(made.body)")
      }
      let after = try await Self.inbox(env).filter { $0["mqttDeviceId"]?.string == topic }
      #expect(after.allSatisfy { $0["registered"]?.lampBool == true && $0["alreadyRegistered"]?.lampBool == true })
      #expect(after.map { $0["registeredDeviceId"]?.string } == entries.map { $0["deviceId"]?.string })
      let second = try #require(entries[1]["deviceId"]?.string)
      #expect(try await env.execute(second, "ON").data?["status"]?.string == "ACKED")
      #expect(simulator.relays(of: topic) == [.off, .on, .off, .off])

      await adminStream.close()
      await memberStream.close()
      await markerLamp.stop()
      run.cancel()
      await run.value
    }
  }

  @Test func aLampRegisteredUnderAnotherIdMarksItsRelay() async throws {
    try await LampEnv.with { env in
      let simulator = try DeviceSimulator(
        configuration: .fleet(brokerURL: env.brokerURL, count: 1, relays: 2, prefix: "mark"),
        logger: Self.quietLogger())
      let topic = try #require(simulator.deviceTopics.first)
      let run = Task { await simulator.run() }
      try await poll("two relays in the inbox") {
        try await Self.inbox(env).filter { $0["mqttDeviceId"]?.string == topic }.count == 2
      }
      try await env.createDevice("lampu-teras", mqtt: topic.uppercased(), channel: "POWER2")
      let entries = try await Self.inbox(env).filter { $0["mqttDeviceId"]?.string == topic }
      #expect(entries.map { $0["registered"]?.lampBool } == [false, true])
      #expect(entries.map { $0["alreadyRegistered"]?.lampBool } == [false, false])
      #expect(entries.last?["registeredDeviceId"]?.string == "lampu-teras")
      run.cancel()
      await run.value
    }
  }

  @Test func probeAgainAsksTheGroupTopicAndAnswersWithinTheWait() async throws {
    try await LampEnv.with { env in
      let simulator = try DeviceSimulator(
        configuration: .fleet(brokerURL: env.brokerURL, count: 1, relays: 1, prefix: "known"),
        logger: Self.quietLogger())
      let known = try #require(simulator.deviceTopics.first)
      let run = Task { await simulator.run() }
      try await poll("known device in the inbox") {
        try await Self.inbox(env).contains { $0["mqttDeviceId"]?.string == known }
      }
      let silent = try await GroupOnlyDevice.start(
        env, topic: "papan_grup", names: ["Teras", "Dapur", "Garasi", "Kamar"])
      #expect(try await !Self.inbox(env).contains { $0["mqttDeviceId"]?.string == "papan_grup" })
      let observer = try await Observer.start(url: env.brokerURL, filter: "cmnd/#")

      let probed = try await env.call(.post, "/api/v1/devices/discovery/probe", json: "{\"waitMs\":5000}")
      #expect(probed.status == 200, "\(probed.body)")
      #expect(probed.data?["waitMs"]?.lampInt == 5000)
      #expect(probed.data?["probe"]?["sentTo"]?.lampInt == 1)
      #expect(probed.data?["probe"]?["answered"]?.lampInt == 1)
      // How long it waited is reported, not asserted: a loaded machine stretches it (tests never assert on timing).
      #expect((probed.data?["probe"]?["waitedMs"]?.lampInt ?? -1) >= 0)
      let group = (probed.data?["devices"]?.lampArray ?? []).filter { $0["mqttDeviceId"]?.string == "papan_grup" }
      #expect(group.map { $0["suggestedName"]?.string } == ["Teras", "Dapur", "Garasi", "Kamar"])
      #expect(group.first?["deviceName"]?.string == "Papan Grup")
      try await poll("the group and the known device were asked") {
        let seen = observer.messages
        return seen.contains { $0.topic == "cmnd/tasmotas/STATUS" && $0.payload == "0" }
          && seen.contains { $0.topic == "cmnd/\(known)/STATUS" && $0.payload == "0" }
      }

      // No body: the default wait; the query form is checked too.
      #expect(try await env.call(.post, "/api/v1/devices/discovery/probe").status == 200)
      #expect(try await env.call(.post, "/api/v1/devices/discovery/probe?waitMs=0").status == 200)
      for (json, query) in [("{\"waitMs\":5001}", ""), ("{\"waitMs\":\"x\"}", ""), ("[1]", "")] {
        let bad = try await env.call(.post, "/api/v1/devices/discovery/probe" + query, json: json)
        #expect(bad.status == 400 && bad.code == "VALIDATION_ERROR", "\(json)")
      }
      let badQuery = try await env.call(.post, "/api/v1/devices/discovery/probe?waitMs=-1")
      #expect(badQuery.status == 400 && badQuery.body["error"]?["details"]?["fieldErrors"]?["waitMs"] != nil)
      let member = try await env.createMember("probe@example.com")
      let refused = try await env.call(.post, "/api/v1/devices/discovery/probe", token: member.token)
      #expect(refused.status == 403 && refused.code == "FORBIDDEN_ADMIN_REQUIRED")

      await observer.stop()
      await silent.stop()
      run.cancel()
      await run.value
    }
  }
}
