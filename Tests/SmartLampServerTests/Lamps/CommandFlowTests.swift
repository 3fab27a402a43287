import DeviceSimulator
import Foundation
import MQTT
import ServerTestSupport
import TestSupport
import Testing

@testable import SmartLampServer

/// Commands end to end (issue 6): real Mosquitto, a Tasmota stand-in, the real server on free ports.
@Suite(.serialized) struct CommandFlowTests {
  @Test func executeIsAcknowledgedByTheDevice() async throws {
    try await LampEnv.with { env in
      try await env.createDevice("lamp-a")
      let lamp = try await env.startLamp("lamp-a")
      try await poll("lamp online") {
        try await env.call(.get, "/api/v1/devices/lamp-a/status").data?["online"]?.lampBool == true
      }
      let reply = try await env.execute("lamp-a", "ON", requestID: "req-on-1")
      #expect(reply.status == 200)
      #expect(reply.data?["status"]?.string == "ACKED")
      #expect(reply.data?["deviceId"]?.string == "lamp-a")
      #expect(reply.data?["commandChannel"]?.string == "POWER")
      #expect((reply.data?["ackLatencyMs"]?.lampInt ?? -1) >= 0)
      #expect(lamp.isOn())
      try await poll("audit row acknowledged") {
        try await env.call(.get, "/api/v1/commands/req-on-1").data?["status"]?.string == "ACKED"
      }
      let audit = try await env.call(.get, "/api/v1/commands/req-on-1")
      #expect(audit.data?["origin"]?.string == "user")
      #expect(audit.data?["ackLatencyMs"]?.lampInt != nil)
      let status = try await env.call(.get, "/api/v1/devices/lamp-a/status")
      #expect(status.data?["power"]?.string == "ON")
      #expect(status.data?["source"]?.string == "device")
      #expect(status.data?["online"]?.lampBool == true)
      let all = try await env.call(.get, "/api/v1/status")
      #expect(all.data?.lampArray?.count == 1)

      // Garbage from the broker is ignored: the state stays right and commands keep working.
      for (topic, payload) in [
        ("stat/lamp-a/RESULT", "{\"POWER\":"), ("stat/lamp-a/POWER", "BLINK"), ("tele/lamp-a/STATE", "<html>"),
        ("stat/lamp-a/POWER", String(repeating: "x", count: 70_000)), ("tele/lamp-a/LWT", ""),
      ] {
        try await lamp.publishRaw(topic: topic, payload: payload)
      }
      let off = try await env.execute("lamp-a", "OFF")
      #expect(off.data?["status"]?.string == "ACKED")
      let after = try await env.call(.get, "/api/v1/devices/lamp-a/status")
      #expect(after.data?["power"]?.string == "OFF")
      #expect(after.data?["online"]?.lampBool == true)
      await lamp.stop()
    }
  }

  @Test(arguments: [MosquittoBroker.Transport.tls, .webSocket, .webSocketTLS])
  func everyBrokerTransportWorks(transport: MosquittoBroker.Transport) async throws {
    try await LampEnv.with(transport: transport) { env in
      try await env.createDevice("lamp-\(transport)")
      let lamp = try await env.startLamp("lamp-\(transport)")
      let reply = try await env.execute("lamp-\(transport)", "ON")
      #expect(reply.data?["status"]?.string == "ACKED")
      await lamp.stop()
    }
  }

  @Test func lostReplyTimesOut() async throws {
    try await LampEnv.with({ $0.ackTimeoutMs = 300 }) { env in
      let simulator = try DeviceSimulator(
        configuration: .fleet(brokerURL: env.brokerURL, count: 1, prefix: "drop"),
        logger: DiscoveryAndDemoTests.quietLogger())
      let topic = try #require(simulator.deviceTopics.first)
      try await env.createDevice("lamp-t", mqtt: topic)
      let run = Task { await simulator.run() }
      try await poll("simulator online") {
        try await env.call(.get, "/api/v1/devices/lamp-t/status").data?["online"]?.lampBool == true
      }
      #expect(try await env.execute("lamp-t", "OFF").data?["status"]?.string == "ACKED")
      simulator.setFaults(FaultPolicy(dropRate: 1), for: topic)
      let reply = try await env.execute("lamp-t", "ON", requestID: "req-timeout")
      #expect(reply.status == 200)
      #expect(reply.data?["status"]?.string == "TIMEOUT")
      #expect(reply.data?["ackLatencyMs"]?.lampIsNull == true)
      try await poll("audit row timed out") {
        try await env.call(.get, "/api/v1/commands/req-timeout").data?["status"]?.string == "TIMEOUT"
      }
      // Without waitForAck the answer is PUBLISHED and the outcome lands in the audit log later.
      let quick = try await env.execute("lamp-t", "OFF", waitForAck: false, requestID: "req-quick")
      #expect(quick.data?["status"]?.string == "PUBLISHED")
      try await poll("later outcome") {
        try await env.call(.get, "/api/v1/commands/req-quick").data?["status"]?.string == "TIMEOUT"
      }
      run.cancel()
      await run.value
    }
  }

  @Test func brokerOutageAnswers503AndRecoversWithoutRestart() async throws {
    try await LampEnv.with { env in
      try await env.createDevice("lamp-b")
      var lamp = try await env.startLamp("lamp-b")
      #expect(try await env.execute("lamp-b", "ON").data?["status"]?.string == "ACKED")
      await lamp.stop()

      await env.broker.stop()
      try await poll("not ready") { try await env.call(.get, "/api/v1/health/ready").status == 503 }
      let ready = try await env.call(.get, "/api/v1/health/ready")
      #expect(ready.body["error"]?["details"]?["checks"]?["broker"]?["status"]?.string == "fail")
      let down = try await env.execute("lamp-b", "OFF", requestID: "req-while-down")
      #expect(down.status == 503)
      #expect(down.code == "BROKER_UNAVAILABLE")
      #expect(down.headers[.retryAfter] != nil)
      #expect(try await env.call(.get, "/api/v1/commands/req-while-down").status == 404)

      try await env.broker.restart()
      // An independent observer sees the server's state queries after it reconnected.
      let observer = try await Observer.start(url: env.brokerURL, filter: "cmnd/lamp-b/+")
      lamp = try await env.startLamp("lamp-b")
      try await poll("ready again", timeout: .seconds(30)) {
        try await env.call(.get, "/api/v1/health/ready").status == 200
      }
      try await poll("state re-queried") { observer.messages.contains { $0.payload.isEmpty } }
      let again = try await env.execute("lamp-b", "OFF", key: "after-restart")
      #expect(again.status == 200)
      #expect(again.data?["status"]?.string == "ACKED")
      #expect(!lamp.isOn())
      // A retry with the key of the 503 runs again (5xx answers are not stored).
      await observer.stop()
      await lamp.stop()
    }
  }

  @Test(arguments: StoreEngine.all) func concurrentDuplicatesPublishOnce(engine: StoreEngine) async throws {
    try await LampEnv.with(engine: engine) { env in
      try await env.createDevice("lamp-i")
      let lamp = try await env.startLamp("lamp-i")
      let observer = try await Observer.start(url: env.brokerURL, filter: "cmnd/lamp-i/+")
      let body = "{\"deviceId\":\"lamp-i\",\"action\":\"ON\",\"requestId\":\"dup\",\"waitForAck\":true}"
      async let first = env.call(.post, "/api/v1/commands/execute", json: body, idempotencyKey: "same-key")
      async let second = env.call(.post, "/api/v1/commands/execute", json: body, idempotencyKey: "same-key")
      let replies = try await [first, second]
      let statuses = replies.map(\.status.code).sorted()
      #expect(statuses == [200, 200] || statuses == [200, 409])
      if statuses == [200, 200] {
        #expect(replies.contains { $0.headers[.init("Idempotent-Replayed")!] == "true" })
        #expect(replies[0].data == replies[1].data)
      } else {
        #expect(replies.contains { $0.code == "IDEMPOTENCY_IN_PROGRESS" })
      }
      // A later, different command is the marker: once it is seen, every earlier publish has been seen too.
      _ = try await env.execute("lamp-i", "OFF", key: "marker")
      try await poll("marker seen") { observer.messages.contains { $0.payload == "OFF" } }
      #expect(observer.messages.filter { $0.payload == "ON" }.count == 1)

      let replay = try await env.call(.post, "/api/v1/commands/execute", json: body, idempotencyKey: "same-key")
      #expect(replay.status == 200)
      #expect(replay.headers[.init("Idempotent-Replayed")!] == "true")
      let other = body.replacingOccurrences(of: "\"ON\"", with: "\"OFF\"")
      let conflict = try await env.call(.post, "/api/v1/commands/execute", json: other, idempotencyKey: "same-key")
      #expect(conflict.status == 422)
      #expect(conflict.code == "IDEMPOTENCY_CONFLICT")
      let missing = try await env.call(.post, "/api/v1/commands/execute", json: body)
      #expect(missing.status == 400)
      #expect(missing.code == "IDEMPOTENCY_KEY_REQUIRED")
      // Keys are per principal: a member reusing the admin's key is not replayed the admin's answer.
      let member = try await env.createMember("m@example.com")
      try await env.assign(member.id, ["lamp-i": "control"])
      let mine = try await env.call(
        .post, "/api/v1/commands/execute", json: body, token: member.token, idempotencyKey: "same-key")
      #expect(mine.status == 200)
      #expect(mine.headers[.init("Idempotent-Replayed")!] == nil)
      await observer.stop()
      await lamp.stop()
    }
  }

  @Test func relaysOfOneDeviceAreSeparateEntities() async throws {
    try await LampEnv.with { env in
      try await env.createDevice("strip-1", mqtt: "strip", channel: "POWER1")
      try await env.createDevice("strip-2", mqtt: "strip", channel: "POWER2")
      let strip = try await env.startLamp("strip", relays: 2)
      try await poll("both relays reported") {
        let all = try await env.call(.get, "/api/v1/status").data?.lampArray ?? []
        return all.count == 2 && all.allSatisfy { $0["source"]?.string == "device" }
      }
      let reply = try await env.execute("strip-2", "ON")
      #expect(reply.data?["status"]?.string == "ACKED")
      #expect(reply.data?["commandChannel"]?.string == "POWER2")
      #expect(strip.isOn(relay: 2))
      #expect(!strip.isOn(relay: 1))
      #expect(try await env.call(.get, "/api/v1/devices/strip-2/status").data?["power"]?.string == "ON")
      #expect(try await env.call(.get, "/api/v1/devices/strip-1/status").data?["power"]?.string == "OFF")
      await strip.stop()
    }
  }

  @Test(arguments: [10, 100]) func parallelCommandsAreAllAcknowledged(count: Int) async throws {
    try await LampEnv.with({
      $0.commandRateLimitMax = 0; $0.ackTimeoutMs = 10_000
    }) { env in
      var lamps: [FakeTasmota] = []
      for index in 0..<count {
        try await env.createDevice("par-\(index)")
        lamps.append(try await env.startLamp("par-\(index)"))
      }
      let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
        for index in 0..<count { group.addTask { try await env.execute("par-\(index)", "ON") } }
        return try await group.reduce(into: []) { $0.append($1) }
      }
      #expect(replies.count == count)
      #expect(replies.allSatisfy { $0.status == 200 && $0.data?["status"]?.string == "ACKED" })
      #expect(lamps.allSatisfy { $0.isOn() })
      for lamp in lamps { await lamp.stop() }
    }
  }

  @Test(arguments: StoreEngine.all) func commandRateLimitAnswers429(engine: StoreEngine) async throws {
    try await LampEnv.with(engine: engine, { $0.commandRateLimitMax = 2 }) { env in
      try await env.createDevice("lamp-r")
      let lamp = try await env.startLamp("lamp-r")
      let first = try await env.execute("lamp-r", "ON")
      #expect(first.headers[.init("X-RateLimit-Limit")!] == "2")
      #expect(first.headers[.init("X-RateLimit-Remaining")!] == "1")
      _ = try await env.execute("lamp-r", "OFF")
      let third = try await env.execute("lamp-r", "ON")
      #expect(third.status == 429)
      #expect(third.code == "RATE_LIMITED")
      #expect(third.headers[.retryAfter] != nil)
      #expect(third.body["error"]?["details"]?["retryAfterSec"]?.lampInt != nil)
      await lamp.stop()
    }
  }

  @Test func unknownDeviceAndMissingPermission() async throws {
    try await LampEnv.with { env in
      try await env.createDevice("lamp-p")
      try await env.createDevice("lamp-q")
      let unknown = try await env.execute("nope", "ON")
      #expect(unknown.status == 404)
      #expect(unknown.code == "DEVICE_NOT_FOUND")
      let member = try await env.createMember("watcher@example.com")
      try await env.assign(member.id, ["lamp-p": "monitoring"])
      let watch = try await env.execute("lamp-p", "ON", token: member.token)
      #expect(watch.status == 403)
      #expect(watch.code == "FORBIDDEN_DEVICE_ACCESS")
      let hidden = try await env.execute("lamp-q", "ON", token: member.token)
      #expect(hidden.status == 403)
      let bad = try await env.call(
        .post, "/api/v1/commands/execute", json: "{\"deviceId\":\"lamp-p\",\"action\":\"BLINK\",\"requestId\":\"x\"}",
        idempotencyKey: "bad")
      #expect(bad.status == 400)
      #expect(bad.body["error"]?["details"]?["fieldErrors"]?["action"] != nil)
      // The member sees only its own device's commands and status.
      #expect(try await env.call(.get, "/api/v1/status", token: member.token).data?.lampArray?.count == 1)
      #expect(try await env.call(.get, "/api/v1/devices/lamp-q/status", token: member.token).status == 403)
    }
  }
}

/// An independent MQTT subscriber that records what it sees.
final class Observer: Sendable {
  struct Seen: Sendable {
    let topic: String
    let payload: String
  }

  private let client: MQTTClient
  private let seen = Locked<[Seen]>([])
  private let task = Locked<Task<Void, Never>?>(nil)

  private init(client: MQTTClient) { self.client = client }

  static func start(url: String, filter: String) async throws -> Observer {
    let client = MQTTClient(
      configuration: try MQTTClientConfiguration(url: url, clientID: "observer-\(UUID().uuidString.prefix(8))"))
    try await client.connect()
    let observer = Observer(client: client)
    let subscription = try await client.subscribe([filter], qos: .atLeastOnce)
    let task = Task {
      for await message in subscription {
        observer.seen.withLock { $0.append(Seen(topic: message.topic, payload: message.payloadString)) }
      }
    }
    observer.task.withLock { $0 = task }
    return observer
  }

  var messages: [Seen] { seen.withLock { $0 } }

  func stop() async {
    task.withLock { $0?.cancel() }
    await client.disconnect()
  }
}
