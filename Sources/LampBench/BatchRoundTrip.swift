import DeviceSimulator
import Foundation
import MQTT
import Synchronization

/// Phase `batch`: L simulated lamps registered and connected. Each round first switches them all ON with raw MQTT
/// (L `cmnd` publishes pipelined, every lamp's reply awaited: the floor of any house-wide command), then OFF through
/// one `POST /api/v1/commands/batch` with `waitForAck`, every item ACKED. Alternating the actions keeps a late reply
/// of one step from counting for the next.
enum BatchRoundTrip {
  struct Result: Sendable {
    var lamps = 0
    var raw = LatencySeries()
    var batch = LatencySeries()
    var notAcked = 0
    var firstFailure: String?
  }

  private struct Reply {
    let device: Substring
    let payload: String
    let at: ContinuousClock.Instant
  }

  static func run(_ context: BenchContext, lamps: Int, rounds: Int) async throws -> Result {
    let fleet = try await Fleet.start(context, lamps: lamps)
    let topics = fleet.topics
    let observer = try context.mqttClient("batch-raw", buffer: max(1 << 16, lamps * 4))
    try await observer.connect()
    let replies = try await observer.subscribe(["stat/+/POWER"], qos: .atMostOnce)
    let seen = Mutex<[Reply]>([])
    let reader = Task {
      for await message in replies {
        let reply = Reply(
          device: message.topic.split(separator: "/")[1], payload: message.payloadString, at: .now)
        seen.withLock { $0.append(reply) }
      }
    }
    let raw = try context.mqttClient("batch-cmnd")
    try await raw.connect()

    var result = Result(lamps: lamps)
    let runID = UInt32.random(in: 0...UInt32.max)
    for round in 0..<rounds {
      // Raw: every lamp ON, pipelined.
      let wanted = Set(topics.map { Substring($0) })
      let start = ContinuousClock.now
      try await withThrowingTaskGroup(of: Void.self) { group in
        for topic in topics {
          group.addTask { try await raw.publish(topic: "cmnd/\(topic)/POWER", payload: "ON", qos: .atLeastOnce) }
        }
        try await group.waitForAll()
      }
      let deadline = ContinuousClock.now + .seconds(120)
      var last = start
      while true {
        let answered = seen.withLock { replies -> (Int, ContinuousClock.Instant) in
          var devices = Set<Substring>()
          var last = start
          for reply in replies where reply.at >= start && reply.payload == "ON" && wanted.contains(reply.device) {
            if devices.insert(reply.device).inserted { last = max(last, reply.at) }
          }
          return (devices.count, last)
        }
        if answered.0 == topics.count {
          last = answered.1
          break
        }
        guard ContinuousClock.now < deadline else {
          throw RawHTTPClient.Failure(description: "raw round trips: \(answered.0) of \(topics.count) lamps answered")
        }
        try await Task.sleep(for: .milliseconds(1))
      }
      result.raw.append(last - start)

      // Through SmartLamp: every lamp OFF in one batch, each item acknowledged.
      let items = topics.map { "{\"deviceId\":\"\($0)\",\"action\":\"OFF\"}" }.joined(separator: ",")
      let batchStart = ContinuousClock.now
      let reply = try await context.api.send(
        "POST", "/api/v1/commands/batch",
        headers: [context.authorization, ("Idempotency-Key", "batch-\(runID)-\(round)")],
        body: "{\"items\":[\(items)],\"waitForAck\":true}")
      result.batch.append(ContinuousClock.now - batchStart)
      let acked = reply.body.components(separatedBy: "\"status\":\"ACKED\"").count - 1
      if acked != topics.count {
        result.notAcked += topics.count - acked
        if result.firstFailure == nil { result.firstFailure = "\(reply.status) \(reply.body.prefix(300))" }
      }
    }
    reader.cancel()
    await observer.disconnect()
    await raw.disconnect()
    await fleet.stop()
    return result
  }
}

/// L simulated Tasmota lamps (`fleet…`, the same ids in every phase), registered (a replay for those an earlier
/// phase registered) and connected, with their telemetry quiet for the run.
struct Fleet: Sendable {
  let simulator: DeviceSimulator
  let runner: Task<Void, Never>
  var topics: [String] { simulator.deviceTopics }

  static func start(_ context: BenchContext, lamps: Int) async throws -> Fleet {
    let simulator = try DeviceSimulator(
      configuration: .fleet(brokerURL: context.broker, count: lamps, prefix: "fleet", teleperiod: .seconds(3600)),
      logger: context.logger)
    try await context.createDevices(simulator.deviceTopics)
    let runner = Task { await simulator.run() }
    let deadline = ContinuousClock.now + .seconds(180)
    while simulator.onlineCount < lamps {
      guard ContinuousClock.now < deadline else {
        runner.cancel()
        throw RawHTTPClient.Failure(description: "only \(simulator.onlineCount) of \(lamps) lamps online")
      }
      try await Task.sleep(for: .milliseconds(50))
    }
    // The server has seen every lamp come online (its availability reports) before commands start.
    while (try await context.metric("smartlamp_devices_online") ?? 0) < Double(lamps) {
      guard ContinuousClock.now < deadline else { break }
      try await Task.sleep(for: .milliseconds(100))
    }
    Progress.note("\(lamps) lamps online")
    return Fleet(simulator: simulator, runner: runner)
  }

  func stop() async {
    runner.cancel()
    await runner.value
  }
}
