import DeviceSimulator
import MQTT
import NIOCore
import Synchronization

/// Phase 4: N simulated devices registered and connected; one publisher then sends their reports (`stat RESULT`
/// and `tele STATE`, alternating) as fast as the server applies them. Applied reports are counted as the live
/// `status` frames they cause on one admin stream, with at most `window` reports in flight so no buffer on the
/// way overflows (the server's subscription buffer and the hub's per-stream buffer both drop when full).
enum Ingest {
  struct Result: Sendable {
    var devices = 0
    var messages = 0
    var seconds = 0.0
    var connectSeconds = 0.0
    var window = 0
    var perSecond: Double { Double(messages) / max(seconds, 1e-9) }
  }

  static func run(_ context: BenchContext, devices: Int, messages: Int, window: Int) async throws -> Result {
    let simulator = try DeviceSimulator(
      configuration: .fleet(brokerURL: context.broker, count: devices, prefix: "fleet", teleperiod: .seconds(3600)),
      logger: context.logger)
    let topics = simulator.deviceTopics
    for topic in topics { try await context.createDevice(topic) }
    Progress.note("\(topics.count) devices registered")
    let connectStart = ContinuousClock.now
    let runner = Task { await simulator.run() }
    let deadline = ContinuousClock.now + .seconds(180)
    while simulator.onlineCount < topics.count {
      guard ContinuousClock.now < deadline else {
        throw RawHTTPClient.Failure(description: "only \(simulator.onlineCount) of \(topics.count) devices online")
      }
      try await Task.sleep(for: .milliseconds(50))
    }
    var result = Result(devices: topics.count, messages: messages, window: window)
    result.connectSeconds = Statistics.seconds(ContinuousClock.now - connectStart)
    Progress.note("\(topics.count) simulated devices online")

    let board = ProbeBoard(probes: 1)
    let stream = try await StreamProbe.open(
      index: 0, board: board, host: context.host, port: context.port, token: context.token, group: context.group)
    // Wait for the connect storm (LWT, STATE, state-query replies) to settle. Teleperiod STATEs keep trickling
    // in (spread over the hour): they only add to the count, and are a rounding error against the load.
    var last = -1_000
    let quietDeadline = ContinuousClock.now + .seconds(60)
    while (board.total - last > 2 || board.readyCount == 0) && ContinuousClock.now < quietDeadline {
      last = board.total
      try await Task.sleep(for: .milliseconds(500))
    }
    guard board.readyCount == 1 else { throw RawHTTPClient.Failure(description: "the ingest stream did not open") }
    let base = board.total
    Progress.note("stream open and quiet; publishing \(messages) reports")
    let reports = (0..<messages).map { index -> (String, ByteBuffer) in
      let topic = topics[index % topics.count]
      if index % 2 == 0 {
        return ("stat/\(topic)/RESULT", ByteBuffer(string: "{\"POWER\":\"\(index % 4 == 0 ? "ON" : "OFF")\"}"))
      }
      return (
        "tele/\(topic)/STATE",
        ByteBuffer(
          string: "{\"Time\":\"2026-11-22T21:00:00\",\"UptimeSec\":\(index),\"POWER\":\"ON\","
            + "\"Wifi\":{\"AP\":1,\"SSId\":\"Bench\",\"RSSI\":70,\"Signal\":-65}}")
      )
    }
    let publisher = try context.mqttClient("ingest")
    try await publisher.connect()
    let start = ContinuousClock.now
    let sent = Mutex(0)
    let reporter = Task {
      while !Task.isCancelled {
        try await Task.sleep(for: .seconds(5))
        let ended = board.endedCount > 0 ? " (the stream ended)" : ""
        Progress.note("sent \(sent.withLock { $0 }), applied \(board.total - base)\(ended)")
      }
    }
    defer { reporter.cancel() }
    try await board.within(.seconds(300), "state ingest") {
      for (index, report) in reports.enumerated() {
        if index - (board.total - base) >= window { await board.waitForTotal(base + index - window + 1) }
        try await publisher.publish(topic: report.0, payload: report.1, qos: .atMostOnce)
        sent.withLock { $0 = index + 1 }
      }
      await board.waitForTotal(base + messages)
    }
    result.seconds = Statistics.seconds(ContinuousClock.now - start)
    await publisher.disconnect()
    try? await stream.close()
    runner.cancel()
    await runner.value
    return result
  }
}
