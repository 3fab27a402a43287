import DeviceSimulator
import Foundation
import MQTT
import Synchronization

/// Phases 1 and 2, interleaved round by round on one simulated lamp: the raw MQTT round trip with our client, then
/// the same switch through `POST /api/v1/commands/execute` with `waitForAck`. An independent broker observer
/// timestamps the server's `cmnd` publish and the device's reply, splitting each HTTP call into three legs.
enum CommandRoundTrip {
  struct Result: Sendable {
    var raw = LatencySeries()
    var http = LatencySeries()
    /// HTTP request written → the server's `cmnd` seen by the observer (auth, idempotency claim, rate limit,
    /// lookup, publish).
    var toPublish = LatencySeries()
    /// `cmnd` seen → device reply seen (broker and simulator: the raw round trip's share).
    var device = LatencySeries()
    /// Device reply seen → HTTP answer read (ingest, acknowledgement, idempotency record, response).
    var toAnswer = LatencySeries()
    /// Floors for attributing the HTTP cost: no auth; auth only (execute with an empty body: 400 before any
    /// idempotency or rate-limit work); execute without `waitForAck`.
    var health = LatencySeries()
    var authenticatedRead = LatencySeries()
    var published = LatencySeries()
    var notAcked = 0
    var firstFailure: String?
  }

  private struct Sighting {
    let isCommand: Bool
    let payload: String
    let at: ContinuousClock.Instant
  }

  private struct Call {
    let action: String
    let start: ContinuousClock.Instant
    let end: ContinuousClock.Instant
  }

  static let warmup = 50

  static func run(_ context: BenchContext, rounds: Int) async throws -> Result {
    let simulator = try DeviceSimulator(
      configuration: .fleet(brokerURL: context.broker, count: 1, prefix: "benchlamp"), logger: context.logger)
    guard let topic = simulator.deviceTopics.first else { throw RawHTTPClient.Failure(description: "no device") }
    try await context.createDevice(topic)
    let runner = Task { await simulator.run() }
    let deadline = ContinuousClock.now + .seconds(30)
    while !(try await context.api.send("GET", "/api/v1/devices/\(topic)/status", headers: [context.authorization]))
      .body.contains("\"online\":true")
    {
      guard ContinuousClock.now < deadline else { throw RawHTTPClient.Failure(description: "lamp never online") }
      try await Task.sleep(for: .milliseconds(20))
    }

    let raw = try context.mqttClient("raw")
    try await raw.connect()
    var replies = try await raw.subscribe(["stat/\(topic)/POWER"], qos: .atMostOnce).makeAsyncIterator()
    let observer = try context.mqttClient("observer")
    try await observer.connect()
    let observed = try await observer.subscribe(["cmnd/\(topic)/POWER", "stat/\(topic)/POWER"], qos: .atMostOnce)
    let sightings = Mutex<[Sighting]>([])
    let reader = Task {
      for await message in observed {
        let now = ContinuousClock.now
        let sighting = Sighting(
          isCommand: message.topic.hasPrefix("cmnd/"), payload: message.payloadString, at: now)
        sightings.withLock { $0.append(sighting) }
      }
    }

    var result = Result()
    var calls: [Call] = []
    let runID = UInt32.random(in: 0...UInt32.max)
    for round in 0..<(warmup + rounds) {
      let action = round % 2 == 0 ? "ON" : "OFF"
      let next = round % 2 == 0 ? "OFF" : "ON"
      // Raw: publish the command, wait for the simulator's POWER reply.
      let rawStart = ContinuousClock.now
      try await raw.publish(topic: "cmnd/\(topic)/POWER", payload: action, qos: .atLeastOnce)
      while let reply = await replies.next(), reply.payloadString != action {}
      let rawEnd = ContinuousClock.now
      // Through SmartLamp: the opposite switch, acknowledged.
      let body =
        "{\"deviceId\":\"\(topic)\",\"action\":\"\(next)\",\"requestId\":\"b\(runID)-\(round)\",\"waitForAck\":true}"
      let start = ContinuousClock.now
      let reply = try await context.api.send(
        "POST", "/api/v1/commands/execute",
        headers: [context.authorization, ("Idempotency-Key", "bench-\(runID)-\(round)")], body: body)
      let end = ContinuousClock.now
      if round >= warmup {
        result.raw.append(rawEnd - rawStart)
        result.http.append(end - start)
        calls.append(Call(action: next, start: start, end: end))
        if !reply.body.contains("\"status\":\"ACKED\"") {
          result.notAcked += 1
          if result.firstFailure == nil { result.firstFailure = "\(reply.status) \(reply.body)" }
        }
      }
      // Drain the reply to the HTTP command so the raw iterator stays in step.
      if reply.status == 200 {
        while let reply = await replies.next(), reply.payloadString != next {}
      }
    }

    // Let the observer catch up, then split each call at the sightings inside its window.
    try await Task.sleep(for: .milliseconds(200))
    let log = sightings.withLock { $0 }
    for (index, call) in calls.enumerated() {
      let windowEnd = index + 1 < calls.count ? calls[index + 1].start : .now
      guard
        let command = log.first(where: {
          $0.isCommand && $0.payload == call.action && $0.at >= call.start && $0.at < windowEnd
        }),
        let answer = log.first(where: {
          !$0.isCommand && $0.payload == call.action && $0.at >= command.at && $0.at < windowEnd
        })
      else { continue }
      result.toPublish.append(command.at - call.start)
      result.device.append(answer.at - command.at)
      result.toAnswer.append(call.end - answer.at)
    }

    // The floors, after the interleaved rounds (same server, same connection).
    for round in 0..<rounds {
      var start = ContinuousClock.now
      _ = try await context.api.send("GET", "/api/health")
      result.health.append(.now - start)
      start = .now
      _ = try await context.api.send(
        "POST", "/api/v1/commands/execute", headers: [context.authorization, ("Idempotency-Key", "invalid")],
        body: "{}")
      result.authenticatedRead.append(.now - start)
      let body =
        "{\"deviceId\":\"\(topic)\",\"action\":\"\(round % 2 == 0 ? "ON" : "OFF")\",\"requestId\":\"p\(runID)-\(round)\"}"
      start = .now
      _ = try await context.api.send(
        "POST", "/api/v1/commands/execute",
        headers: [context.authorization, ("Idempotency-Key", "published-\(runID)-\(round)")], body: body)
      result.published.append(.now - start)
    }

    reader.cancel()
    await observer.disconnect()
    await raw.disconnect()
    runner.cancel()
    await runner.value
    return result
  }
}
