import DeviceSimulator
import MQTT
import NIOCore
import Synchronization

/// Phase `ingest`: N simulated devices registered and connected; one publisher then sends their reports (`stat
/// RESULT` and `tele STATE`, alternating) as fast as the server applies them. Applied reports are counted as the live
/// `status` frames they cause on one admin stream, with at most `window` reports in flight so no buffer on the
/// way overflows (the server's subscription buffer and the hub's per-stream buffer both drop when full).
///
/// The baseline, in the same run: a bare subscriber (our MQTT client alone, doing nothing with what it gets)
/// receives the same reports from the same broker, paced by the same window. They go to topics of the same shape
/// that the server does not subscribe to (`bench/<id>/RESULT`), so the server does not compete with it for the CPU.
/// Then, with the devices still connected, `rssStreams` streams open and the server's RSS is read.
enum Ingest {
  struct Result: Sendable {
    var devices = 0
    var messages = 0
    var seconds = 0.0
    var bareSeconds = 0.0
    var connectSeconds = 0.0
    var window = 0
    var rssStreams = 0
    var rssWithDevicesAndStreams = 0
    var perSecond: Double { Double(messages) / max(seconds, 1e-9) }
    var barePerSecond: Double { Double(messages) / max(bareSeconds, 1e-9) }
  }

  static func run(
    _ context: BenchContext, devices: Int, messages: Int, window: Int, rssStreams: Int
  ) async throws -> Result {
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
    var result = Result(devices: topics.count, messages: messages, window: window, rssStreams: rssStreams)
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
    reporter.cancel()
    try? await stream.close()

    Progress.note("bare subscriber on the same stream")
    result.bareSeconds = try await bare(context, publisher: publisher, reports: reports, window: window)
    await publisher.disconnect()

    if rssStreams > 0 {
      let probes = ProbeBoard(probes: rssStreams)
      var channels: [any Channel] = []
      for batch in stride(from: 0, to: rssStreams, by: 100) {
        try await withThrowingTaskGroup(of: (any Channel).self) { group in
          for index in batch..<min(rssStreams, batch + 100) {
            group.addTask {
              try await StreamProbe.open(
                index: index, board: probes, host: context.host, port: context.port, token: context.token,
                group: context.group, counting: false)
            }
          }
          for try await channel in group { channels.append(channel) }
        }
      }
      let opened = ContinuousClock.now + .seconds(120)
      while probes.readyCount < rssStreams && ContinuousClock.now < opened {
        try await Task.sleep(for: .milliseconds(50))
      }
      try await Task.sleep(for: .seconds(1))
      result.rssWithDevicesAndStreams = context.server.residentBytes
      for channel in channels { try? await channel.close() }
    }
    runner.cancel()
    await runner.value
    return result
  }
}

extension Ingest {
  /// Seconds for a subscriber that only counts to receive `reports` (on `bench/...` topics), with at most
  /// `window` in flight as the server's run had.
  static func bare(
    _ context: BenchContext, publisher: MQTTClient, reports: [(String, ByteBuffer)], window: Int
  ) async throws -> Double {
    let subscriber = try context.mqttClient("bare", buffer: max(1 << 16, window * 4))
    try await subscriber.connect()
    let messages = try await subscriber.subscribe(["bench/+/RESULT", "bench/+/STATE"], qos: .atMostOnce)
    let board = ProbeBoard(probes: 1)
    let counter = Task {
      for await _ in messages { board.saw(0, count: 1, at: .now) }
    }
    let bareReports = reports.map { report -> (String, ByteBuffer) in
      let parts = report.0.split(separator: "/")
      return ("bench/\(parts[1])/\(parts[2])", report.1)
    }
    let start = ContinuousClock.now
    try await board.within(.seconds(300), "bare subscriber") {
      for (index, report) in bareReports.enumerated() {
        if index - board.total >= window { await board.waitForTotal(index - window + 1) }
        try await publisher.publish(topic: report.0, payload: report.1, qos: .atMostOnce)
      }
      await board.waitForTotal(bareReports.count)
    }
    let seconds = Statistics.seconds(ContinuousClock.now - start)
    counter.cancel()
    await subscriber.disconnect()
    return seconds
  }
}
