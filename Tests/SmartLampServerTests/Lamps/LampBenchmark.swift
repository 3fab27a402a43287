import DeviceSimulator
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import MQTT
import NIOCore
import SmartLampStore
import Tasmota
import TestSupport
import Testing

@testable import SmartLampServer

/// Issue 6's benchmark; prints figures, asserts nothing about time. Runs only with `SMARTLAMP_BENCH=1`:
/// `SMARTLAMP_BENCH=1 swift test --filter LampBenchmark` (add `-c release` for production-like numbers).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["SMARTLAMP_BENCH"] != nil))
struct LampBenchmark {
  static let rounds = Int(ProcessInfo.processInfo.environment["SMARTLAMP_BENCH_ROUNDS"] ?? "") ?? 1000

  static func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
  }

  static func ms(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
  }

  static func report(_ label: String, _ values: [Double]) {
    print(
      String(
        format: "BENCH %@: n=%d p50=%.3f ms p99=%.3f ms max=%.3f ms", label, values.count,
        percentile(values, 0.5), percentile(values, 0.99), values.max() ?? .nan))
  }

  /// HTTP execute with waitForAck → simulator → ack, next to the raw MQTT round trip, interleaved in one run.
  @Test func commandRoundTrip() async throws {
    try await LampEnv.with({ $0.commandRateLimitMax = 0 }) { env in
      let simulator = try DeviceSimulator(
        configuration: .fleet(brokerURL: env.brokerURL, count: 1, prefix: "bench"), logger: Logger(label: "sim"))
      let topic = try #require(simulator.deviceTopics.first)
      let run = Task { await simulator.run() }
      try await env.createDevice(topic)
      try await poll("simulator online") {
        try await env.call(.get, "/api/v1/devices/\(topic)/status").data?["online"]?.lampBool == true
      }
      let raw = MQTTClient(configuration: try MQTTClientConfiguration(url: env.brokerURL, clientID: "bench-raw"))
      try await raw.connect()
      let replies = try await raw.subscribe(["stat/\(topic)/POWER"], qos: .atMostOnce)
      var replyIterator = replies.makeAsyncIterator()
      var http: [Double] = []
      var mqtt: [Double] = []
      let token = env.adminToken
      let client = TestClient(host: "127.0.0.1", port: env.port)
      client.connect()
      do {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(token)"
        headers[.contentType] = "application/json"
        let clock = ContinuousClock()
        for round in 0..<Self.rounds {
          let action = round % 2 == 0 ? "ON" : "OFF"
          // Raw: publish the command, wait for the simulator's POWER reply.
          var start = clock.now
          try await raw.publish(topic: "cmnd/\(topic)/POWER", payload: action, qos: .atLeastOnce)
          while let reply = await replyIterator.next(), reply.payloadString != action {}
          mqtt.append(Self.ms(clock.now - start))
          // Through SmartLamp: the same switch, acknowledged.
          let next = round % 2 == 0 ? "OFF" : "ON"
          headers[HTTPField.Name("Idempotency-Key")!] = "bench-\(round)"
          let body =
            "{\"deviceId\":\"\(topic)\",\"action\":\"\(next)\",\"requestId\":\"b\(round)\",\"waitForAck\":true}"
          start = clock.now
          let response = try await client.execute(
            .init("/api/v1/commands/execute", method: .post, headers: headers, body: ByteBuffer(string: body)))
          http.append(Self.ms(clock.now - start))
          let text = response.body.map { String(buffer: $0) } ?? ""
          if !text.contains("\"ACKED\"") { print("BENCH non-acked answer: \(text)") }
          // Drain the reply to our own HTTP command so the raw iterator stays in step.
          while let reply = await replyIterator.next(), reply.payloadString != next {}
        }
      }
      try await client.shutdown()
      Self.report("raw MQTT round trip (publish → simulator reply)", mqtt)
      Self.report("SmartLamp HTTP execute waitForAck (→ ACKED)", http)
      print(
        String(
          format: "BENCH SmartLamp overhead at p50: %.3f ms", Self.percentile(http, 0.5) - Self.percentile(mqtt, 0.5)))
      await raw.disconnect()
      run.cancel()
      _ = await run.value
    }
  }

  /// How many device reports per second the state service applies, with 1000 registered devices (in process).
  @Test func stateIngestThroughput() async throws {
    let directory = TemporaryDirectory(prefix: "lamp-bench")
    let database = try SmartLampStore.SQLiteDatabase(path: directory.file("db.sqlite"))
    try await SmartLampStore.Migrator(database: database).migrate()
    var quiet = Logger(label: "bench")
    quiet.logLevel = .critical
    let hub = RealtimeHub()
    let service = DeviceStateService(
      hub: hub, acks: AckTracker(timeout: .seconds(3)) { _, _ in },
      store: DeviceStateStore(database: database), logger: quiet)
    let store = LampDeviceStore(database: database)
    for index in 0..<1000 {
      _ = try await store.create(
        NewLampDevice(deviceId: "d\(index)", mqttDeviceId: "d\(index)", name: "D", location: nil, channel: .power),
        ownerUserID: nil)
    }
    service.setDevices(try await store.all())
    let subscriber = hub.subscribe(
      visible: Set(service.devices.map(\.id)), owner: LampUnitTests.owner(), lastEventID: nil, capacity: 1 << 20)
    let messages = (0..<200_000).map { index in
      MQTTMessage(
        topic: index % 2 == 0 ? "stat/d\(index % 1000)/RESULT" : "tele/d\(index % 1000)/STATE",
        payload: ByteBuffer(
          string: index % 2 == 0
            ? "{\"POWER\":\"\(index % 3 == 0 ? "ON" : "OFF")\"}"
            : "{\"POWER\":\"ON\",\"Wifi\":{\"RSSI\":70},\"UptimeSec\":\(index)}"))
    }
    let clock = ContinuousClock()
    let start = clock.now
    for message in messages { _ = service.ingest(message) }
    let ingestTime = Self.ms(clock.now - start)
    let flushStart = clock.now
    await service.flush()
    let flushTime = Self.ms(clock.now - flushStart)
    print(
      String(
        format: "BENCH state ingest: %d messages for 1000 devices in %.1f ms = %.0f msg/s (incl. SSE fan-out); "
          + "batched write of 1000 device_state rows %.1f ms", messages.count, ingestTime,
        Double(messages.count) / ingestTime * 1000, flushTime))
    hub.close(subscriber.id)
    try await database.close()
  }

  /// Delivery latency of live events to 1000 open SSE streams (event time → frame parsed by the client).
  @Test func sseFanOut() async throws {
    try await LampEnv.with({ $0.commandRateLimitMax = 0 }) { env in
      let lamp = try await env.startLamp("fan")
      try await env.createDevice("fan")
      let streams = try await withThrowingTaskGroup(of: SSEClient.self) { group in
        for _ in 0..<1000 { group.addTask { try await SSEClient.open(port: env.port, token: env.adminToken) } }
        return try await group.reduce(into: []) { $0.append($1) }
      }
      let latencies = Locked<[Double]>([])
      let rounds = 20
      let readers = Task {
        await withTaskGroup(of: Void.self) { group in
          for stream in streams {
            group.addTask {
              var seen = 0
              for await frame in stream.events where frame.type == "command" {
                if let ts = frame.json?["ts"]?.lampInt {
                  let now = Date().timeIntervalSince1970 * 1000
                  latencies.withLock { $0.append(now - Double(ts)) }
                }
                seen += 1
                if seen == rounds * 2 { return }
              }
            }
          }
        }
      }
      for round in 0..<rounds {
        _ = try await env.execute("fan", round % 2 == 0 ? "ON" : "OFF", key: "fan-\(round)")
      }
      try await poll("all frames delivered", timeout: .seconds(120), interval: .milliseconds(100)) {
        latencies.withLock { $0.count } >= streams.count * rounds * 2
      }
      readers.cancel()
      Self.report("SSE fan-out to \(streams.count) streams (command events)", latencies.withLock { $0 })
      for stream in streams { await stream.close() }
      await lamp.stop()
    }
  }
}
