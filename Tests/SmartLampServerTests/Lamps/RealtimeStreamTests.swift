import DeviceSimulator
import Foundation
import TestSupport
import Testing

@testable import SmartLampServer

/// The SSE stream (CONTRACT §8) through the real server, broker and a Tasmota stand-in.
@Suite(.serialized) struct RealtimeStreamTests {
  @Test func snapshotThenLiveEventsWithIDs() async throws {
    try await LampEnv.with { env in
      try await env.createDevice("sse-a")
      let lamp = try await env.startLamp("sse-a")
      try await poll("lamp online") {
        try await env.call(.get, "/api/v1/devices/sse-a/status").data?["online"]?.lampBool == true
      }
      let stream = try await SSEClient.open(port: env.port, token: env.adminToken)
      #expect(stream.status == 200)
      let events = stream.events
      let retry = try #require(try await events.next(within: .seconds(5), "retry"))
      #expect(retry.retry == "2000")
      let hello = try #require(try await events.next(within: .seconds(5), "hello"))
      #expect(hello.type == "hello")
      #expect(hello.id == nil)
      let snapshot = try #require(try await events.next(within: .seconds(5), "snapshot"))
      #expect(snapshot.type == "status")
      #expect(snapshot.deviceId == "sse-a")
      #expect(snapshot.id != nil)
      #expect(snapshot.json?["payload"]?["online"]?.lampBool == true)

      _ = try await env.execute("sse-a", "ON", waitForAck: false, requestID: "live-1")
      // Collect until the acknowledgement: the PUBLISHED event and the device's status come before it.
      let seen = Locked<[SSEClient.Frame]>([])
      let acked = try await events.next(within: .seconds(5), "command ACKED") { frame in
        seen.withLock { $0.append(frame) }
        return frame.type == "command" && frame.json?["status"]?.string == "ACKED"
      }
      #expect(acked?.json?["ackLatencyMs"]?.lampInt != nil)
      #expect(acked?.json?["requestId"]?.string == "live-1")
      let before = seen.withLock { $0 }
      let published = before.first { $0.type == "command" && $0.json?["status"]?.string == "PUBLISHED" }
      #expect(published?.id != nil)
      let status = before.first { $0.type == "status" && $0.json?["payload"]?["power"]?.string == "ON" }
      #expect(status?.json?["payload"]?["source"]?.string == "device")
      #expect(before.allSatisfy { $0.id != nil })
      let ids = before.compactMap { $0.id.flatMap { Int($0) } }
      #expect(ids == ids.sorted())
      await stream.close()
      await lamp.stop()
    }
  }

  @Test func lastEventIDReplaysMissedEvents() async throws {
    try await LampEnv.with { env in
      try await env.createDevice("sse-r")
      let lamp = try await env.startLamp("sse-r")
      let first = try await SSEClient.open(port: env.port, token: env.adminToken)
      let snapshot = try #require(
        try await first.events.next(within: .seconds(5), "snapshot") { $0.type == "status" })
      let lastID = try #require(snapshot.id)
      await first.close()

      _ = try await env.execute("sse-r", "ON", requestID: "missed-1")
      let resumed = try await SSEClient.open(port: env.port, token: env.adminToken, lastEventID: lastID)
      let missed = try await resumed.events.next(within: .seconds(5), "missed command") {
        $0.type == "command" && $0.json?["requestId"]?.string == "missed-1"
      }
      #expect(missed != nil)
      #expect(Int(missed?.id ?? "") ?? 0 > Int(lastID) ?? Int.max)
      await resumed.close()

      // An id the buffer no longer (or never) held falls back to a fresh snapshot.
      let unknown = try await SSEClient.open(port: env.port, token: env.adminToken, lastEventID: "999999999")
      let fresh = try await unknown.events.next(within: .seconds(5), "snapshot") { $0.type == "status" }
      #expect(fresh?.json?["payload"]?["reportSource"]?.string == "snapshot")
      await unknown.close()
      await lamp.stop()
    }
  }

  @Test func membersSeeOnlyTheirDevicesAndGrantsApplyMidStream() async throws {
    try await LampEnv.with { env in
      try await env.createDevice("own")
      try await env.createDevice("other")
      let own = try await env.startLamp("own")
      let other = try await env.startLamp("other")
      let member = try await env.createMember("sse@example.com")
      try await env.assign(member.id, ["own": "control"])
      let stream = try await SSEClient.open(port: env.port, token: member.token)
      let events = stream.events
      let snapshot = try await events.next(within: .seconds(5), "snapshot") { $0.type == "status" }
      #expect(snapshot?.deviceId == "own")

      // Events of the other device come first; the member must only ever see its own.
      _ = try await env.execute("other", "ON", requestID: "other-1")
      _ = try await env.execute("own", "ON", requestID: "own-1")
      let leaked = Locked<[String]>([])
      let marker = try await events.next(within: .seconds(5), "own command") { frame in
        if let device = frame.deviceId, device != "own" { leaked.withLock { $0.append(frame.description) } }
        return frame.type == "command" && frame.json?["requestId"]?.string == "own-1"
      }
      #expect(marker != nil)
      #expect(leaked.withLock { $0 }.isEmpty)

      try await env.assign(member.id, ["own": "control", "other": "monitoring"])
      let devices = try await events.next(within: .seconds(5), "devices frame") { $0.type == "devices" }
      #expect(devices != nil)
      let added = try await events.next(within: .seconds(5), "status of the granted device") {
        $0.type == "status" && $0.deviceId == "other"
      }
      #expect(added?.json?["payload"]?["power"]?.string == "ON")
      _ = try await env.execute("other", "OFF", requestID: "other-2")
      let now = try await events.next(within: .seconds(5), "granted device's command") {
        $0.type == "command" && $0.json?["requestId"]?.string == "other-2"
      }
      #expect(now != nil)
      await stream.close()
      await own.stop()
      await other.stop()
    }
  }

  @Test func revokingTheSessionClosesTheStream() async throws {
    try await LampEnv.with { env in
      try await env.createDevice("sse-x")
      let member = try await env.createMember("bye@example.com")
      try await env.assign(member.id, ["sse-x": "monitoring"])
      let stream = try await SSEClient.open(port: env.port, token: member.token)
      _ = try await stream.events.next(within: .seconds(5), "snapshot") { $0.type == "status" }
      let logout = try await env.call(.post, "/api/v1/auth/logout", json: "{}", token: member.token)
      #expect(logout.status == 200)
      let end = try await stream.events.next(within: .seconds(10), "end of stream") { _ in false }
      #expect(end == nil)
      await stream.close()
    }
  }

  @Test func apiKeysStreamWithReadScopeAndAreCutOffWhenRevoked() async throws {
    try await LampEnv.with { env in
      try await env.createDevice("sse-k")
      let created = try await env.call(
        .post, "/api/v1/integrations/clients", json: "{\"name\":\"wall panel\",\"scopes\":[\"read\"]}")
      #expect(created.status == 201)
      let key = try #require(created.data?["apiKey"]?.string)
      let id = try #require(created.data?["id"]?.lampInt)
      let stream = try await SSEClient.open(port: env.port, token: key)
      #expect(stream.status == 200)
      let snapshot = try await stream.events.next(within: .seconds(5), "snapshot") { $0.type == "status" }
      #expect(snapshot?.deviceId == "sse-k")
      // A read-only key may watch but not switch.
      let refused = try await env.execute("sse-k", "ON", token: key)
      #expect(refused.status == 403)
      #expect(refused.code == "FORBIDDEN_SCOPE")
      #expect(try await env.call(.delete, "/api/v1/integrations/clients/\(id)", json: "{}").status == 200)
      let end = try await stream.events.next(within: .seconds(10), "end of stream") { _ in false }
      #expect(end == nil)
      await stream.close()
    }
  }

  @Test func deviceLossAndReturnReachSubscribers() async throws {
    try await LampEnv.with { env in
      let simulator = try DeviceSimulator(
        configuration: .fleet(brokerURL: env.brokerURL, count: 1, prefix: "lwt"),
        logger: DiscoveryAndDemoTests.quietLogger())
      let topic = try #require(simulator.deviceTopics.first)
      try await env.createDevice(topic)
      let run = Task { await simulator.run() }
      try await poll("lamp online") {
        try await env.call(.get, "/api/v1/devices/\(topic)/status").data?["online"]?.lampBool == true
      }
      let stream = try await SSEClient.open(port: env.port, token: env.adminToken)
      let events = stream.events
      _ = try await events.next(within: .seconds(5), "snapshot") { $0.type == "status" }
      await simulator.goOffline(topic)
      let offline = try await events.next(within: .seconds(20), "lwt OFFLINE") {
        $0.type == "lwt" && $0.json?["payload"]?.string == "OFFLINE"
      }
      #expect(offline?.json?["online"]?.lampBool == false)
      #expect(try await env.call(.get, "/api/v1/devices/\(topic)/status").data?["online"]?.lampBool == false)
      simulator.comeBack(topic)
      let online = try await events.next(within: .seconds(10), "lwt ONLINE") {
        $0.type == "lwt" && $0.json?["payload"]?.string == "ONLINE"
      }
      #expect(online != nil)
      let fresh = try await events.next(within: .seconds(10), "fresh status") {
        $0.type == "status" && $0.json?["payload"]?["source"]?.string == "device"
      }
      #expect(fresh?.deviceId == topic)
      #expect(try await env.call(.get, "/api/v1/devices/\(topic)/status").data?["online"]?.lampBool == true)
      await stream.close()
      run.cancel()
      await run.value
    }
  }
}
