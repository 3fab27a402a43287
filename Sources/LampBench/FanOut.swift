import Foundation
import MQTT
import NIOCore
import NIOPosix
import Synchronization

/// Phase `fanout`: N raw-socket clients hold `/api/v1/realtime/stream` open; `slowPercent` of them never read a
/// byte (a phone that froze). Each round publishes one state report of a lamp every stream sees and times, per
/// reading client, the publish → the frame's bytes read. The rounds run twice: quiet, then while a flood of
/// reports on a second lamp — one only the slow readers see — fills their buffers until the hub drops them. The
/// readers' p99 during the flood next to the quiet one shows that the slow ones slowed nobody.
enum FanOut {
  struct Result: Sendable {
    var quiet = LatencySeries()
    var duringFlood = LatencySeries()
    var streams = 0
    var slow = 0
    var rounds = 0
    var connectSeconds = 0.0
    /// Server RSS growth from no stream to every stream open and idle, per stream.
    var bytesPerIdleStream = 0.0
    var floodReports = 0
    /// Streams the hub dropped for falling behind (the server's own count), and readers whose stream ended.
    var slowDropped = 0
    var readersEnded = 0
    /// Rounds whose report did not reach every reader within ``roundLimit`` (quiet, during the flood), the readers
    /// that missed them, and what the server counted meanwhile: MQTT messages its subscription buffer dropped and
    /// streams it closed, by reason.
    var lostQuiet = 0
    var lostDuringFlood = 0
    var missedFrames = 0
    var mqttDropped = 0
    var closedByReason: [String: Int] = [:]
  }

  /// A round waits this long for every reader before it counts as lost and the next one starts.
  static let roundLimit = Duration.seconds(5)

  static func run(_ context: BenchContext, streams: Int, slowPercent: Double, rounds: Int) async throws -> Result {
    let device = "fanlamp"
    let floodDevice = "floodlamp"
    try await context.createDevices([device, floodDevice])
    // Readers see one lamp; slow readers see it and the flooded one (so the flood reaches only them).
    let runID = UInt32.random(in: 0...UInt32.max)
    let readerToken = try await context.createMember("fan-\(runID)@example.com", devices: [device])
    let slowToken = try await context.createMember("slow-\(runID)@example.com", devices: [device, floodDevice])
    let slow = slowPercent > 0 ? max(1, Int((Double(streams) * slowPercent / 100).rounded())) : 0
    let readers = streams - slow
    let droppedBefore = try await context.metric(#"smartlamp_realtime_streams_closed_total{reason="slow_reader"}"#) ?? 0
    let openBefore = try await context.metric("smartlamp_realtime_streams") ?? 0
    let rssBefore = context.server.residentBytes

    let board = ProbeBoard(probes: readers)
    var channels: [any Channel] = []
    let connectStart = ContinuousClock.now
    for index in 0..<slow {
      channels.append(
        try await StreamProbe.openStalled(
          host: context.host, port: context.port, token: slowToken, group: context.group, index: index))
    }
    // Batches keep the listen backlog from overflowing.
    for batch in stride(from: 0, to: readers, by: 100) {
      try await withThrowingTaskGroup(of: (any Channel).self) { group in
        for index in batch..<min(readers, batch + 100) {
          group.addTask {
            try await StreamProbe.open(
              index: index, board: board, host: context.host, port: context.port, token: readerToken,
              group: context.group)
          }
        }
        for try await channel in group { channels.append(channel) }
      }
    }
    let deadline = ContinuousClock.now + .seconds(300)
    while true {
      let open = try await context.metric("smartlamp_realtime_streams") ?? 0
      if board.readyCount >= readers && open >= openBefore + Double(streams) { break }
      guard ContinuousClock.now < deadline else {
        throw RawHTTPClient.Failure(description: "only \(board.readyCount) of \(readers) reading streams opened")
      }
      try await Task.sleep(for: .milliseconds(50))
    }
    var result = Result(streams: streams, slow: slow, rounds: rounds)
    result.connectSeconds = Statistics.seconds(ContinuousClock.now - connectStart)
    try await Task.sleep(for: .seconds(1))
    result.bytesPerIdleStream = Double(context.server.residentBytes - rssBefore) / Double(streams)
    Progress.note("\(streams) streams open (\(slow) never read)")

    let publisher = try context.mqttClient("fanout")
    try await publisher.connect()
    let droppedMQTTBefore = try await context.metric("smartlamp_mqtt_messages_dropped_total") ?? 0
    let closedBefore = try await closedStreams(context)
    var power = 0
    var lost = 0
    // A round whose report some reader never gets (dropped on the way, or the stream ended) is counted, not
    // waited for: one lost report used to stall the phase until its 300 s limit.
    func round() async throws {
      board.arm(start: ContinuousClock.now)
      power += 1
      try await publisher.publish(
        topic: "stat/\(device)/POWER", payload: power % 2 == 0 ? "ON" : "OFF", qos: .atMostOnce)
      if await !board.waitForRound(within: roundLimit) {
        lost += 1
        // Late frames of the lost round arrive first, so they are not taken for the next round's.
        try await Task.sleep(for: .seconds(1))
        result.missedFrames += board.resync()
        Progress.note("round \(power): its report did not reach every reader within \(roundLimit)")
      }
    }
    try await board.within(.seconds(300), "quiet SSE fan-out rounds") {
      for _ in 0..<rounds { try await round() }
    }
    result.lostQuiet = lost
    lost = 0
    result.quiet = board.takeLatencies()

    // The flood: reports on the slow readers' lamp until the hub dropped every slow reader (or gave up trying),
    // while the rounds go on for the readers.
    let flooding = Atomic<Bool>(true)
    let flooder = Task { () -> Int in
      defer { flooding.store(false, ordering: .relaxed) }
      guard slow > 0 else { return 0 }
      let client = try context.mqttClient("flood")
      try await client.connect()
      defer { Task { await client.disconnect() } }
      let metrics = try await RawHTTPClient.connect(host: context.host, port: context.port, group: context.group)
      defer { Task { await metrics.close() } }
      var sent = 0
      let until = ContinuousClock.now + .seconds(240)
      while ContinuousClock.now < until {
        for _ in 0..<250 {
          sent += 1
          try await client.publish(
            topic: "stat/\(floodDevice)/POWER", payload: sent % 2 == 0 ? "ON" : "OFF", qos: .atMostOnce)
        }
        // A QoS 1 publish's acknowledgement: the broker has read everything before it (paces the flood).
        try await client.publish(topic: "lampbench/flood", payload: "", qos: .atLeastOnce)
        let text = try await metrics.send("GET", "/metrics", headers: [context.authorization]).body
        let dropped =
          text.split(separator: "\n").first {
            $0.hasPrefix(#"smartlamp_realtime_streams_closed_total{reason="slow_reader"} "#)
          }.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } } ?? 0
        if dropped - droppedBefore >= Double(slow) { break }
      }
      return sent
    }
    try await board.within(.seconds(300), "SSE fan-out rounds during the flood") {
      var done = 0
      while done < rounds || flooding.load(ordering: .relaxed) {
        try await round()
        done += 1
      }
    }
    result.floodReports = try await flooder.value
    result.duringFlood = board.takeLatencies()
    result.slowDropped = Int(
      (try await context.metric(#"smartlamp_realtime_streams_closed_total{reason="slow_reader"}"#) ?? 0) - droppedBefore
    )
    result.readersEnded = board.endedCount
    result.lostDuringFlood = lost
    result.mqttDropped = Int(
      (try await context.metric("smartlamp_mqtt_messages_dropped_total") ?? 0) - droppedMQTTBefore)
    let closedAfter = try await closedStreams(context)
    for (reason, count) in closedAfter where count - (closedBefore[reason] ?? 0) > 0 {
      result.closedByReason[reason] = count - (closedBefore[reason] ?? 0)
    }
    await publisher.disconnect()
    for channel in channels { try? await channel.close() }
    return result
  }

  /// `smartlamp_realtime_streams_closed_total` by reason.
  static func closedStreams(_ context: BenchContext) async throws -> [String: Int] {
    let text = try await context.api.send("GET", "/metrics", headers: [context.authorization]).body
    var counts: [String: Int] = [:]
    for line in text.split(separator: "\n") where line.hasPrefix("smartlamp_realtime_streams_closed_total{reason=\"") {
      let reason = line.dropFirst("smartlamp_realtime_streams_closed_total{reason=\"".count).prefix { $0 != "\"" }
      counts[String(reason)] = line.split(separator: " ").last.flatMap { Double($0) }.map { Int($0) } ?? 0
    }
    return counts
  }
}
