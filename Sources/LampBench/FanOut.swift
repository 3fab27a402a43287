import MQTT
import NIOCore

/// Phase 3: N raw-socket clients hold `/api/v1/realtime/stream` open as the admin; each round publishes one state
/// report of a registered device and times, per client, the publish → the frame's bytes read.
enum FanOut {
  struct Result: Sendable {
    var latencies = LatencySeries()
    var streams = 0
    var rounds = 0
    var connectSeconds = 0.0
  }

  static func run(_ context: BenchContext, streams: Int, rounds: Int) async throws -> Result {
    let device = "fanlamp"
    try await context.createDevice(device)
    let board = ProbeBoard(probes: streams)
    var channels: [any Channel] = []
    let connectStart = ContinuousClock.now
    // Batches keep the listen backlog from overflowing.
    for batch in stride(from: 0, to: streams, by: 100) {
      try await withThrowingTaskGroup(of: (any Channel).self) { group in
        for index in batch..<min(streams, batch + 100) {
          group.addTask {
            try await StreamProbe.open(
              index: index, board: board, host: context.host, port: context.port, token: context.token,
              group: context.group)
          }
        }
        for try await channel in group { channels.append(channel) }
      }
    }
    let deadline = ContinuousClock.now + .seconds(120)
    while board.readyCount < streams {
      guard ContinuousClock.now < deadline else {
        throw RawHTTPClient.Failure(description: "only \(board.readyCount) of \(streams) streams opened")
      }
      try await Task.sleep(for: .milliseconds(20))
    }
    var result = Result(streams: streams, rounds: rounds)
    result.connectSeconds = Statistics.seconds(ContinuousClock.now - connectStart)
    Progress.note("\(streams) streams open")

    let publisher = try context.mqttClient("fanout")
    try await publisher.connect()
    try await board.within(.seconds(120), "SSE fan-out rounds") {
      for round in 0..<rounds {
        board.arm(start: ContinuousClock.now)
        try await publisher.publish(
          topic: "stat/\(device)/POWER", payload: round % 2 == 0 ? "ON" : "OFF", qos: .atMostOnce)
        await board.waitForRound()
      }
    }
    result.latencies = board.latencies
    await publisher.disconnect()
    for channel in channels { try? await channel.close() }
    return result
  }
}
