import DeviceSimulator
import Foundation
import Logging
import TestSupport
import Testing

@testable import SmartLampServer

/// Discovery from the kept inventory, demo mode, and the server's own presence topic, with the real simulator.
@Suite(.serialized) struct DiscoveryAndDemoTests {
  static func quietLogger() -> Logger {
    var logger = Logger(label: "sim")
    logger.logLevel = .error
    return logger
  }

  @Test func discoveryAnswersFromTheInventoryAndProbesWithinWaitMs() async throws {
    try await LampEnv.with { env in
      let simulator = try DeviceSimulator(
        configuration: .fleet(brokerURL: env.brokerURL, count: 1, relays: 2, prefix: "disc"),
        logger: Self.quietLogger())
      let topic = try #require(simulator.deviceTopics.first)
      let run = Task { await simulator.run() }
      try await poll("device in the inventory") {
        let devices = try await env.call(.get, "/api/v1/devices/discovery").data?["devices"]?.lampArray ?? []
        return devices.count == 2 && devices.allSatisfy { $0["online"]?.lampBool == true }
      }
      let first = try await env.call(.get, "/api/v1/devices/discovery")
      #expect(first.data?["waitMs"]?.lampInt == 0)
      let entries = first.data?["devices"]?.lampArray ?? []
      #expect(entries.map { $0["deviceId"]?.string } == ["\(topic)__POWER1", "\(topic)__POWER2"])
      #expect(entries.first?["availableCommandChannels"]?.lampArray?.map(\.string) == ["POWER1", "POWER2"])
      #expect(entries.first?["mqttDeviceId"]?.string == topic)
      #expect(entries.first?["sources"]?.lampArray?.map(\.string).contains("discovery") == true)
      #expect(entries.first?["alreadyRegistered"]?.lampBool == false)

      try await env.createDevice("\(topic)__POWER1", mqtt: topic, channel: "POWER1")
      let probed = try await env.call(.get, "/api/v1/devices/discovery?waitMs=3000")
      #expect(probed.data?["waitMs"]?.lampInt == 3000)
      let now = probed.data?["devices"]?.lampArray ?? []
      #expect(now.first?["alreadyRegistered"]?.lampBool == true)
      #expect(now.first?["alreadyLinked"]?.lampBool == true)
      #expect(now.last?["alreadyRegistered"]?.lampBool == false)
      #expect(now.first?["tasmotaTopic"]?.string == topic)
      #expect(now.first?["sources"]?.lampArray?.map(\.string).contains("status") == true)

      let member = try await env.createMember("d@example.com")
      let refused = try await env.call(.get, "/api/v1/devices/discovery", token: member.token)
      #expect(refused.status == 403)
      #expect(refused.code == "FORBIDDEN_ADMIN_REQUIRED")
      run.cancel()
      await run.value
    }
  }

  @Test func demoModeRegistersAndRunsSimulatedLamps() async throws {
    try await LampEnv.with({
      $0.demo = true; $0.demoDevices = 2; $0.instanceID = "demo-test"
    }) { env in
      let presence = try await Observer.start(url: env.brokerURL, filter: "smartlamp/demo-test/status")
      try await poll("online presence") { presence.messages.contains { $0.payload == "online" } }
      try await poll("demo lamps registered and online") {
        let all = try await env.call(.get, "/api/v1/status").data?.lampArray ?? []
        return all.count == 2 && all.allSatisfy { $0["online"]?.lampBool == true }
      }
      let devices = try await env.call(.get, "/api/v1/devices").data?.lampArray ?? []
      let id = try #require(devices.first?["id"]?.string)
      #expect(id.hasPrefix("demo_"))
      let reply = try await env.execute(id, "ON")
      #expect(reply.data?["status"]?.string == "ACKED")
      #expect(try await env.call(.get, "/api/v1/devices/\(id)/status").data?["power"]?.string == "ON")
      await presence.stop()
    }
  }
}
