import DeviceSimulator
import Foundation
import HTTPTypes
import HummingbirdTesting
import MQTT
import NIOCore
import ServerTestSupport
import TestSupport
import Testing

@testable import SmartLampServer

#if canImport(Glibc)
  import Glibc
#endif

/// Faults survived, nothing lost (issue #10), scaled to run in well under a minute each: the broker killed while
/// clients send commands, thousands of realtime clients vanishing without a goodbye, and a flood of malformed MQTT
/// payloads. The real server, a real Mosquitto and simulated lamps; figures are printed, never asserted.
@Suite(.serialized) struct FaultTests {
  typealias Room = BatchCommandTests.Room

  /// One answer of `POST /commands/execute`.
  struct Answer: Sendable {
    let requestId: String
    let status: Int
    /// `ACKED`, `TIMEOUT`, … for a 200; nil otherwise.
    let outcome: String?
    let code: String?
  }

  @Test func brokerKilledDuringACommandStreamLosesNothing() async throws {
    try await LampEnv.with({
      $0.commandRateLimitMax = 0
      $0.ackTimeoutMs = 1500
      // Ten clients opening a connection per command, answered in a millisecond while the broker is down: the
      // per-address cap (tested on its own in StreamLimitTests) is not what this test is about.
      $0.maxConnectionsPerAddress = 0
    }) { env in
      let clients = 10
      let total = 1000
      // Commands past this one wait until the broker is back, so some surely run after the restart.
      let afterRestart = 600
      let room = try await Room.start(env, prefix: "fault", count: clients)
      // The lamps answer a little late, so commands are in flight when the broker dies.
      for id in room.ids { room.simulator.setFaults(FaultPolicy(latency: .milliseconds(150)), for: id) }
      let stream = try await SSEClient.open(port: env.port, token: env.adminToken)
      _ = try #require(try await stream.events.next(within: .seconds(10), "hello") { $0.type == "hello" })
      let frames = Locked<[(at: ContinuousClock.Instant, frame: SSEClient.Frame)]>([])
      let reader = Task {
        for await frame in stream.events { frames.withLock { $0.append((ContinuousClock.now, frame)) } }
      }

      let next = Locked(0)
      let answers = Locked<[Answer]>([])
      let brokerBack = Locked(false)
      let clock = ContinuousClock()
      var restartedAt = clock.now
      var readyAfter = Duration.zero
      try await withThrowingTaskGroup(of: Void.self) { group in
        for client in 0..<clients {
          group.addTask {
            while true {
              let index = next.withLock { value -> Int in
                defer { value += 1 }
                return value
              }
              guard index < total else { return }
              if index >= afterRestart {
                try await poll("broker back", timeout: .seconds(60)) { brokerBack.withLock { $0 } }
                // Sent once the server has reconnected, so these show that acknowledgements work again (sent
                // before, all of them could meet the reconnect and answer 503).
                try await poll("server reconnected", timeout: .seconds(60)) {
                  try await env.call(.get, "/api/v1/health/ready").status == 200
                }
              }
              let requestID = "fault-\(index)"
              let reply = try await env.execute(
                room.ids[client], index % 2 == 0 ? "ON" : "OFF", requestID: requestID)
              let answer = Answer(
                requestId: requestID, status: reply.status.code, outcome: reply.data?["status"]?.string,
                code: reply.code)
              answers.withLock { $0.append(answer) }
            }
          }
        }
        try await poll("commands under way", timeout: .seconds(60)) { answers.withLock { $0.count } >= 300 }
        await env.broker.stop()
        try await poll("commands while the broker is down", timeout: .seconds(60)) {
          answers.withLock { $0.count } >= afterRestart - clients
        }
        try await env.broker.restart()
        restartedAt = clock.now
        // How soon the server is ready again (reconnected and subscribed), polled every 20 ms from the moment the
        // broker accepts connections.
        try await poll("ready again", timeout: .seconds(30)) {
          try await env.call(.get, "/api/v1/health/ready").status == 200
        }
        readyAfter = clock.now - restartedAt
        brokerBack.withLock { $0 = true }
        try await group.waitForAll()
      }

      // Every command ends ACKED, TIMEOUT or an explicit 503, and each was answered once.
      let all = answers.withLock { $0 }
      #expect(all.count == total)
      #expect(Set(all.map(\.requestId)).count == total)
      for answer in all {
        let accepted = answer.status == 200 && ["ACKED", "TIMEOUT"].contains(answer.outcome ?? "")
        let refused = answer.status == 503 && answer.code == "BROKER_UNAVAILABLE"
        #expect(accepted || refused, "\(answer)")
      }
      // The audit log matches the answers one to one, once every outcome is written.
      var audit: [String: [String]] = [:]
      try await poll("every outcome audited", timeout: .seconds(30)) {
        audit = try await Self.auditLog(env)
        return audit.values.joined().allSatisfy { $0 != "PUBLISHED" }
      }
      for (requestID, statuses) in audit { #expect(statuses.count == 1, "\(requestID) audited \(statuses)") }
      let accepted = all.filter { $0.status == 200 }
      #expect(Set(audit.keys) == Set(accepted.map(\.requestId)))
      for answer in accepted {
        #expect(audit[answer.requestId] == [answer.outcome ?? ""], "\(answer) audited \(audit[answer.requestId] ?? [])")
      }
      // After the restart commands are acknowledged again: the server's subscriptions came back by themselves.
      let late = accepted.filter { (Int($0.requestId.dropFirst("fault-".count)) ?? 0) >= afterRestart }
      #expect(late.contains { $0.outcome == "ACKED" })
      // The open stream survived and carries live events again.
      let recovered = frames.withLock { frames in
        frames.first {
          $0.at > restartedAt && $0.frame.type == "command" && $0.frame.json?["status"]?.string == "ACKED"
        }
      }
      #expect(recovered != nil, "no acknowledged command on the open stream after the restart")
      let counts = Dictionary(grouping: all) { $0.status == 200 ? $0.outcome ?? "?" : "\($0.status)" }
        .mapValues(\.count)
      print(
        "fault figures: \(total) commands from \(clients) clients, broker killed and restarted: \(counts); "
          + "ready \(readyAfter) after the broker was back; first acknowledged command on the open stream "
          + "\(recovered.map { "\($0.at - restartedAt)" } ?? "never") after it")
      reader.cancel()
      await stream.close()
      await room.stop()
    }
  }

  /// `requestId` → the statuses of its rows in `/api/v1/commands`, every page.
  static func auditLog(_ env: LampEnv) async throws -> [String: [String]] {
    var rows: [String: [String]] = [:]
    var cursor: String?
    repeat {
      var path = "/api/v1/commands?limit=200"
      if let cursor {
        path += "&cursor=" + (cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? cursor)
      }
      let page = try await env.call(.get, path)
      for item in page.data?["items"]?.lampArray ?? [] {
        guard let id = item["requestId"]?.string else { continue }
        rows[id, default: []].append(item["status"]?.string ?? "?")
      }
      cursor = page.data?["nextCursor"]?.string
    } while cursor != nil
    return rows
  }

  @Test func realtimeClientsThatVanishLeaveNoDescriptorsBehind() async throws {
    try await LampEnv.with({
      // The caps are not what this test is about: every client is let in.
      $0.maxConnectionsPerAddress = 0
      $0.realtimeMaxStreamsPerSession = 0
      $0.realtimeMaxStreamsPerPerson = 0
    }) { env in
      let batch = 200
      let rounds = 10
      try Self.raiseDescriptorLimit(to: 4 * batch + 1024)
      try await env.createDevice("vanish-a")
      // One round first: the event loops, the database pool and the metrics reach their steady size.
      try await Self.connectAndVanish(env, count: batch)
      try await Self.settle(env)
      let baseline = Self.openDescriptors()
      let rssBefore = Self.residentKilobytes()
      for _ in 0..<rounds { try await Self.connectAndVanish(env, count: batch) }
      try await Self.settle(env)
      var after = Self.openDescriptors()
      try? await poll("descriptors back to the baseline", timeout: .seconds(30)) {
        after = Self.openDescriptors()
        return after <= baseline + 4
      }
      #expect(after <= baseline + 4, "descriptors \(baseline) before, \(after) after \(rounds * batch) clients")
      let rssAfter = Self.residentKilobytes()
      print(
        "fault figures: \(rounds * batch) realtime clients connected and vanished (reset): descriptors \(baseline) "
          + "→ \(after); RSS \(rssBefore / 1024) MB → \(rssAfter / 1024) MB")
    }
  }

  /// Opens `count` streams at once (each read up to its `retry:` line), then resets every connection.
  static func connectAndVanish(_ env: LampEnv, count: Int) async throws {
    let token = env.adminToken
    let port = env.port
    try await Task.detached {
      var sockets: [Int32] = []
      defer {
        for socket in sockets {
          // SO_LINGER 0: close sends a reset, as a phone that lost its network would leave it.
          var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
          setsockopt(socket, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
          close(socket)
        }
      }
      let request =
        "GET /api/v1/realtime/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        + "Authorization: Bearer \(token)\r\n\r\n"
      for _ in 0..<count {
        let socket = try StreamLimitTests.connect(port: port)
        sockets.append(socket)
        _ = request.withCString { send(socket, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
      }
      for socket in sockets {
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: received, as: UTF8.self).contains("retry:") {
          let read = recv(socket, &buffer, buffer.count, 0)
          guard read > 0 else { throw HarnessError("a stream ended before its first frame") }
          received += buffer[..<read]
        }
      }
    }.value
  }

  /// Waits until the server holds no realtime stream.
  static func settle(_ env: LampEnv) async throws {
    try await poll("every stream gone", timeout: .seconds(30)) {
      try await metric(env, "smartlamp_realtime_streams") == 0
    }
  }

  static func metric(_ env: LampEnv, _ name: String) async throws -> Double? {
    let reply = try await TestClientText.get(port: env.port, "/metrics", token: env.adminToken)
    for line in reply.split(separator: "\n") where line.hasPrefix(name + " ") || line.hasPrefix(name + "{") {
      return line.split(separator: " ").last.flatMap { Double($0) }
    }
    return nil
  }

  static func openDescriptors() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
  }

  static func residentKilobytes() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
  }

  static func raiseDescriptorLimit(to wanted: Int) throws {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    guard limit.rlim_cur < rlim_t(wanted) else { return }
    limit.rlim_cur = min(rlim_t(wanted), limit.rlim_max)
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    guard limit.rlim_cur >= rlim_t(wanted) else {
      throw HarnessError("this test needs \(wanted) descriptors; the hard limit is \(limit.rlim_max)")
    }
  }

  @Test func aFloodOfMalformedPayloadsIsCountedAndRealReportsKeepFlowing() async throws {
    try await LampEnv.with({ $0.commandRateLimitMax = 0 }) { env in
      try await env.createDevice("flood-a")
      let lamp = try await env.startLamp("flood-a")
      try await poll("lamp online") {
        try await env.call(.get, "/api/v1/devices/flood-a/status").data?["online"]?.lampBool == true
      }
      let malformedBefore = try await Self.metric(env, "smartlamp_mqtt_malformed_payloads_total") ?? 0
      let connectionsBefore = try await Self.metric(env, "smartlamp_mqtt_connections_total") ?? 0
      let rssBefore = Self.residentKilobytes()

      var configuration = try MQTTClientConfiguration(url: env.brokerURL, clientID: "flooder")
      configuration.maxPacketSize = 8 << 20
      let flooder = MQTTClient(configuration: configuration)
      try await flooder.connect()
      // Every filter the server subscribes to, on the registered lamp and on ids nobody registered.
      let topics = [
        "stat/flood-a/RESULT", "stat/flood-a/POWER", "stat/flood-a/STATUS11", "tele/flood-a/STATE",
        "tele/flood-a/LWT", "flood-b/stat/RESULT", "flood-b/tele/STATE", "tasmota/discovery/AABBCCDDEEFF/config",
        "home/flood-n/status", "home/flood-n/lwt",
      ]
      // Topics whose payload must be JSON: anything else there is malformed, whatever its bytes.
      let jsonTopics: Set = [
        "stat/flood-a/RESULT", "stat/flood-a/STATUS11", "tele/flood-a/STATE", "flood-b/stat/RESULT",
        "flood-b/tele/STATE", "home/flood-n/status",
      ]
      var random = TestSupport.SplitMix64(seed: 10)
      var payloads: [ByteBuffer] = []
      for _ in 0..<40 {
        let length = Int(random.next() % 512) + 1
        // Never starting with `{` or `[`: a random byte string that happens to be JSON is no flood.
        var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        if bytes[0] == UInt8(ascii: "{") || bytes[0] == UInt8(ascii: "[") { bytes[0] = 0 }
        payloads.append(ByteBuffer(bytes: bytes))
      }
      payloads.append(ByteBuffer(string: String(repeating: "[", count: 200_000)))
      payloads.append(ByteBuffer(string: String(repeating: "{\"a\":", count: 50_000)))
      payloads.append(
        ByteBuffer(string: "{\"POWER\":\"ON\",\"x\":\"" + String(repeating: "y", count: 900_000) + "\"}"))
      payloads.append(ByteBuffer(string: "{\"POWER\":" + String(repeating: "1", count: 100_000) + "}"))
      // Larger than the server's MQTT packet limit (1 MiB): it must not cost the server its broker connection.
      let oversized = ByteBuffer(string: "{\"POWER\":\"" + String(repeating: "z", count: 3 << 20) + "\"}")

      var sentOnJSONTopics = 0
      for topic in topics {
        for payload in payloads {
          try await flooder.publish(topic: topic, payload: payload, qos: .atLeastOnce)
          if jsonTopics.contains(topic) { sentOnJSONTopics += 1 }
        }
        try await flooder.publish(topic: topic, payload: oversized, qos: .atLeastOnce)
      }
      try await poll("the flood counted as malformed", timeout: .seconds(30)) {
        let now = try await Self.metric(env, "smartlamp_mqtt_malformed_payloads_total") ?? 0
        return now - malformedBefore >= Double(sentOnJSONTopics)
      }
      let malformed = (try await Self.metric(env, "smartlamp_mqtt_malformed_payloads_total") ?? 0) - malformedBefore

      // A real report after the flood is applied, and a command still gets its acknowledgement.
      try await lamp.publishRaw(topic: "stat/flood-a/POWER", payload: "ON")
      try await poll("the real report applied") {
        try await env.call(.get, "/api/v1/devices/flood-a/status").data?["power"]?.string == "ON"
      }
      #expect(try await env.execute("flood-a", "OFF").data?["status"]?.string == "ACKED")
      // The server never lost its broker connection over it.
      #expect(try await Self.metric(env, "smartlamp_mqtt_connections_total") == connectionsBefore)
      #expect(try await env.call(.get, "/api/v1/health/ready").status == 200)
      let rssAfter = Self.residentKilobytes()
      print(
        "fault figures: \(topics.count * (payloads.count + 1)) malformed payloads on \(topics.count) topics "
          + "(random bytes, 200 000-deep nesting, 900 KB JSON, 3 MB packets): \(Int(malformed)) counted malformed; "
          + "RSS \(rssBefore / 1024) MB → \(rssAfter / 1024) MB")
      await flooder.disconnect()
      await lamp.stop()
    }
  }
}

/// `GET` as text with a bearer token (the metrics exposition is not an envelope).
enum TestClientText {
  static func get(port: Int, _ path: String, token: String) async throws -> String {
    let reply = try await APIClient.port(port).call(.get, path, as: .bearer(token))
    return String(decoding: reply.raw, as: UTF8.self)
  }
}
