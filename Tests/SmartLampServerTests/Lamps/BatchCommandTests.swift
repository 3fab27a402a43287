import DeviceSimulator
import Foundation
import HTTPTypes
import MQTT
import ServerTestSupport
import TestSupport
import Testing

@testable import SmartLampServer

/// `POST /api/v1/commands/batch` end to end: real Mosquitto, simulated Tasmota lamps, the real server; what went
/// out is checked on the broker by an independent MQTT client.
@Suite(.serialized) struct BatchCommandTests {
  /// A fleet of simulated lamps registered as devices (ids = their topics), running until `stop()`.
  struct Room: Sendable {
    let simulator: DeviceSimulator
    let task: Task<Void, Never>
    var ids: [String] { simulator.deviceTopics }

    static func start(_ env: LampEnv, prefix: String, count: Int) async throws -> Room {
      let simulator = try DeviceSimulator(
        configuration: .fleet(brokerURL: env.brokerURL, count: count, prefix: prefix),
        logger: DiscoveryAndDemoTests.quietLogger())
      for id in simulator.deviceTopics { try await env.createDevice(id) }
      let room = Room(simulator: simulator, task: Task { await simulator.run() })
      try await poll("\(count) lamps online", timeout: .seconds(60)) {
        let statuses = try await env.call(.get, "/api/v1/status").data?.lampArray ?? []
        let online = Set(statuses.filter { $0["online"]?.lampBool == true }.compactMap { $0["deviceId"]?.string })
        return Set(simulator.deviceTopics).isSubset(of: online)
      }
      return room
    }

    func stop() async {
      task.cancel()
      await task.value
    }
  }

  static func items(_ ids: [String], _ action: String) -> String {
    "{\"items\":[" + ids.map { "{\"deviceId\":\"\($0)\",\"action\":\"\(action)\"}" }.joined(separator: ",") + "]}"
  }

  static func batch(
    _ env: LampEnv, _ ids: [String], _ action: String, key: String, token: String? = nil, waitForAck: Bool? = nil
  ) async throws -> Reply {
    var body = items(ids, action)
    if let waitForAck { body = String(body.dropLast()) + ",\"waitForAck\":\(waitForAck)}" }
    return try await env.call(.post, "/api/v1/commands/batch", json: body, token: token, idempotencyKey: key)
  }

  @Test func aRoomOfLampsIsSwitchedAndEveryItemIsAcknowledgedOnItsOwn() async throws {
    // Two command requests per window: a batch is one of them, however many lamps it names.
    try await LampEnv.with({ $0.commandRateLimitMax = 2 }) { env in
      let room = try await Room.start(env, prefix: "room", count: 40)
      let observer = try await Observer.start(url: env.brokerURL, filter: "cmnd/+/POWER")
      let stream = try await SSEClient.open(port: env.port, token: env.adminToken)
      _ = try await stream.events.next(where: { $0.type == "hello" })

      let started = ContinuousClock.now
      let reply = try await Self.batch(env, room.ids, "ON", key: "room-on")
      let elapsed = ContinuousClock.now - started
      #expect(reply.status == 200, "\(reply.body)")
      let results = try #require(reply.data?["items"]?.lampArray)
      #expect(results.count == 40)
      for (index, result) in results.enumerated() {
        #expect(result["deviceId"]?.string == room.ids[index])
        #expect(result["requestId"]?.string == "room-on:\(index)")
        #expect(result["status"]?.string == "ACKED", "\(result)")
        #expect((result["ackLatencyMs"]?.lampInt ?? -1) >= 0)
        #expect(result["error"]?.lampIsNull == true)
      }
      // What the broker carried: exactly one ON per lamp (empty payloads are the server's state queries).
      try await poll("every command seen on the broker") { observer.commands.count >= 40 }
      let seen = observer.commands
      #expect(seen.count == 40)
      #expect(Set(seen.map(\.topic)) == Set(room.ids.map { "cmnd/\($0)/POWER" }))
      #expect(seen.allSatisfy { $0.payload == "ON" })
      #expect(room.ids.allSatisfy { room.simulator.relays(of: $0) == [.on] })
      // Each item has its own audit row and its own realtime events. (Polled, as for a single command: the row is
      // written before the answer, its outcome just after.)
      try await poll("the item's audit row acknowledged") {
        try await env.call(.get, "/api/v1/commands/room-on:7").data?["status"]?.string == "ACKED"
      }
      let audit = try await env.call(.get, "/api/v1/commands/room-on:7")
      #expect(audit.data?["status"]?.string == "ACKED" && audit.data?["deviceId"]?.string == room.ids[7])
      #expect(audit.data?["origin"]?.string == "user")
      var acked: Set<String> = []
      while acked.count < 40 {
        let frame = try #require(
          try await stream.events.next(where: { $0.type == "command" && $0.json?["status"]?.string == "ACKED" }))
        if let requestId = frame.json?["requestId"]?.string { acked.insert(requestId) }
      }
      #expect(acked == Set((0..<40).map { "room-on:\($0)" }))
      print("batch of 40 simulated lamps, all ACKED: \(elapsed)")

      // One rate-limit hit per batch: the second batch passes, the third request is refused.
      let off = try await Self.batch(env, room.ids, "OFF", key: "room-off")
      #expect(off.status == 200)
      #expect(off.data?["items"]?.lampArray?.allSatisfy { $0["status"]?.string == "ACKED" } == true)
      let third = try await Self.batch(env, room.ids, "ON", key: "room-on-again")
      #expect(third.status == 429 && third.code == "RATE_LIMITED")
      #expect(third.headers[.retryAfter] != nil)

      await stream.close()
      await observer.stop()
      await room.stop()
    }
  }

  @Test func itemsTheCallerMayNotSwitchAreRefusedWithTheReason() async throws {
    try await LampEnv.with { env in
      let room = try await Room.start(env, prefix: "mixed", count: 6)
      let ids = room.ids
      let member = try await env.createMember("member@example.com")
      try await env.assign(
        member.id,
        [ids[0]: "control", ids[1]: "manage", ids[2]: "control", ids[3]: "monitoring", ids[4]: "monitoring"])
      let observer = try await Observer.start(url: env.brokerURL, filter: "cmnd/+/POWER")
      let reply = try await Self.batch(env, ids + ["ghost-lamp"], "ON", key: "mixed", token: member.token)
      #expect(reply.status == 200)
      let results = try #require(reply.data?["items"]?.lampArray)
      #expect(
        results.map { $0["status"]?.string } == ["ACKED", "ACKED", "ACKED", "REFUSED", "REFUSED", "REFUSED", "REFUSED"])
      #expect(results[3]["error"]?["code"]?.string == "FORBIDDEN_DEVICE_ACCESS")
      #expect(results[4]["error"]?["code"]?.string == "FORBIDDEN_DEVICE_ACCESS")
      #expect(results[5]["error"]?["code"]?.string == "FORBIDDEN_DEVICE_ACCESS", "not assigned at all")
      #expect(results[6]["error"]?["code"]?.string == "DEVICE_NOT_FOUND")
      #expect(results[6]["requestId"]?.string == "mixed:6")
      #expect(results[3]["error"]?["message"]?.string?.isEmpty == false)
      try await poll("allowed commands seen") { observer.commands.count >= 3 }
      #expect(Set(observer.commands.map(\.topic)) == Set(ids[0...2].map { "cmnd/\($0)/POWER" }))
      #expect(ids[3...].allSatisfy { room.simulator.relays(of: $0) == [.off] })
      // Refused items were not audited; allowed ones name the person.
      #expect(try await env.call(.get, "/api/v1/commands/mixed:3").status == 404)
      #expect(try await env.call(.get, "/api/v1/commands/mixed:0").data?["userId"]?.lampInt == member.id)

      // A key may batch with its owner's rights capped by its scopes; without `command` it may not batch at all.
      let reader = try await env.call(
        .post, "/api/v1/integrations/clients", json: "{\"name\":\"reader\",\"scopes\":[\"read\"]}")
      let readerKey = try #require(reader.data?["apiKey"]?.string)
      let refused = try await Self.batch(env, [ids[0]], "OFF", key: "reader", token: readerKey)
      #expect(refused.status == 403 && refused.code == "FORBIDDEN_SCOPE")
      let commander = try await env.call(
        .post, "/api/v1/integrations/clients", json: "{\"name\":\"commander\",\"scopes\":[\"command\"]}")
      let commanderKey = try #require(commander.data?["apiKey"]?.string)
      let byKey = try await Self.batch(env, [ids[5]], "ON", key: "by-key", token: commanderKey)
      #expect(byKey.data?["items"]?.lampArray?.first?["status"]?.string == "ACKED")
      #expect(try await env.call(.get, "/api/v1/commands/by-key:0").data?["origin"]?.string == "api_key")
      await observer.stop()
      await room.stop()
    }
  }

  @Test func aLampThatDoesNotAnswerTimesOutAndTheOthersDoNot() async throws {
    try await LampEnv.with({ $0.ackTimeoutMs = 3000 }) { env in
      let room = try await Room.start(env, prefix: "quiet", count: 3)
      room.simulator.setFaults(FaultPolicy(dropRate: 1), for: room.ids[1])
      let reply = try await Self.batch(env, room.ids, "ON", key: "quiet")
      let results = try #require(reply.data?["items"]?.lampArray)
      #expect(results.map { $0["status"]?.string } == ["ACKED", "TIMEOUT", "ACKED"])
      #expect(results[1]["ackLatencyMs"]?.lampIsNull == true && results[1]["error"]?.lampIsNull == true)
      try await poll("the audit row timed out") {
        try await env.call(.get, "/api/v1/commands/quiet:1").data?["status"]?.string == "TIMEOUT"
      }
      // Without waiting, items answer PUBLISHED and their outcome lands in the audit log. The lamps answer late
      // (within the timeout), so no reply can reach the server before the batch has answered.
      for id in room.ids { room.simulator.setFaults(FaultPolicy(latency: .milliseconds(1500)), for: id) }
      let quick = try await Self.batch(env, room.ids, "OFF", key: "quick", waitForAck: false)
      #expect(quick.data?["items"]?.lampArray?.allSatisfy { $0["status"]?.string == "PUBLISHED" } == true)
      try await poll("later outcomes") {
        try await env.call(.get, "/api/v1/commands/quick:0").data?["status"]?.string == "ACKED"
      }
      await room.stop()
    }
  }

  @Test func brokerDownMakesFailedItemsNeverA500AndReplaysAnswerTheSame() async throws {
    try await LampEnv.with { env in
      let room = try await Room.start(env, prefix: "outage", count: 2)
      let observer = try await Observer.start(url: env.brokerURL, filter: "cmnd/+/POWER")
      let first = try await Self.batch(env, room.ids, "ON", key: "replayed")
      #expect(first.data?["items"]?.lampArray?.allSatisfy { $0["status"]?.string == "ACKED" } == true)
      try await poll("two commands seen") { observer.commands.count >= 2 }
      // The same key and body again: the stored answer, and nothing published twice.
      let again = try await Self.batch(env, room.ids, "ON", key: "replayed")
      #expect(again.status == 200 && again.headers[.init("Idempotent-Replayed")!] == "true")
      #expect(again.body == first.body)
      let conflict = try await Self.batch(env, room.ids, "OFF", key: "replayed")
      #expect(conflict.status == 422 && conflict.code == "IDEMPOTENCY_CONFLICT")
      // A marker command after them: the server publishes in order, so anything the replay had published would
      // be seen before it.
      #expect(try await env.execute(room.ids[0], "OFF").data?["status"]?.string == "ACKED")
      try await poll("the marker seen") { observer.commands.count >= 3 }
      #expect(observer.commands.map(\.payload) == ["ON", "ON", "OFF"])
      await observer.stop()

      await room.stop()
      await env.broker.stop()
      try await poll("broker seen down") { try await env.call(.get, "/api/v1/health/ready").status == 503 }
      let down = try await Self.batch(env, room.ids + ["ghost"], "OFF", key: "while-down")
      #expect(down.status == 200, "\(down.body)")
      let results = try #require(down.data?["items"]?.lampArray)
      #expect(results.map { $0["status"]?.string } == ["FAILED", "FAILED", "REFUSED"])
      #expect(results[0]["error"]?["code"]?.string == "BROKER_UNAVAILABLE")
      #expect(results[2]["error"]?["code"]?.string == "DEVICE_NOT_FOUND")
      // Each failed item is audited as FAILED, not as published.
      let audit = try await env.call(.get, "/api/v1/commands/while-down:1")
      #expect(audit.data?["status"]?.string == "FAILED" && audit.data?["error"]?.string == "BROKER_UNAVAILABLE")
      try await env.broker.restart()
    }
  }

  @Test func bodyAndKeyRules() async throws {
    try await LampEnv.with { env in
      try await env.createDevice("lamp-v")
      func fields(_ reply: Reply) -> JSONValue? { reply.body["error"]?["details"]?["fieldErrors"] }
      let noKey = try await env.call(.post, "/api/v1/commands/batch", json: Self.items(["lamp-v"], "ON"))
      #expect(noKey.status == 400 && noKey.code == "IDEMPOTENCY_KEY_REQUIRED")
      let empty = try await env.call(.post, "/api/v1/commands/batch", json: "{\"items\":[]}", idempotencyKey: "e")
      #expect(empty.status == 400 && fields(empty)?["items"] != nil)
      let tooMany = try await env.call(
        .post, "/api/v1/commands/batch", json: Self.items((0...1000).map { "l\($0)" }, "ON"), idempotencyKey: "m")
      #expect(tooMany.status == 400 && fields(tooMany)?["items"] != nil)
      let bad = try await env.call(
        .post, "/api/v1/commands/batch",
        json: #"{"items":[{"deviceId":"lamp-v","action":"BLINK"},{"action":"ON"},7,"#
          + #"{"deviceId":"lamp-v","action":"OFF"}],"waitForAck":"yes"}"#,
        idempotencyKey: "b")
      #expect(bad.status == 400 && bad.code == "VALIDATION_ERROR")
      let named = fields(bad)
      #expect(named?["items[0].action"] != nil && named?["items[1].deviceId"] != nil && named?["items[2]"] != nil)
      #expect(named?["items[3].deviceId"] != nil, "the same lamp twice")
      #expect(named?["waitForAck"] != nil)
      let longKey = try await env.call(
        .post, "/api/v1/commands/batch", json: Self.items(["lamp-v"], "ON"),
        idempotencyKey: String(repeating: "k", count: 251))
      #expect(longKey.status == 400 && fields(longKey)?["Idempotency-Key"] != nil)
      // Nothing of it was audited.
      #expect(try await env.call(.get, "/api/v1/commands").data?["items"]?.lampArray?.isEmpty == true)
    }
  }

  /// Figures, not a timed test: 200 simulated lamps switched by one batch, next to the same 200 switched by one
  /// `POST /commands/execute` after the other (the baseline a dashboard would otherwise need).
  @Test func figuresForTwoHundredLamps() async throws {
    try await LampEnv.with({ $0.commandRateLimitMax = 10_000 }) { env in
      let room = try await Room.start(env, prefix: "hall", count: 200)
      let clock = ContinuousClock()
      let batchTime = try await clock.measure {
        let reply = try await Self.batch(env, room.ids, "ON", key: "hall-on")
        let statuses = reply.data?["items"]?.lampArray?.compactMap { $0["status"]?.string } ?? []
        #expect(statuses.count == 200 && statuses.allSatisfy { $0 == "ACKED" }, "\(Set(statuses))")
      }
      let serialTime = try await clock.measure {
        for id in room.ids {
          let reply = try await env.execute(id, "OFF")
          #expect(reply.data?["status"]?.string == "ACKED")
        }
      }
      #expect(room.ids.allSatisfy { room.simulator.relays(of: $0) == [.off] })
      print(
        "figures: 200 simulated lamps ON in one batch, all ACKED: \(batchTime); baseline, 200 single executes "
          + "one after the other: \(serialTime)")
      await room.stop()
    }
  }
}

extension Observer {
  /// What was published as a command (the server's state queries have an empty payload).
  var commands: [Seen] { messages.filter { !$0.payload.isEmpty } }
}
