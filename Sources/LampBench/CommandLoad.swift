import Foundation
import MQTT
import NIOCore
import Synchronization

/// Phase `load`: the command overhead held under load (issue #10). L lamps connected, S realtime streams open and
/// reading, C clients (one keep-alive connection each) sending `POST /api/v1/commands/execute` with `waitForAck` at
/// R commands per second in all, each on its own lamps. Meanwhile a raw MQTT client takes round trips on a lamp of
/// its own (publish `cmnd` → the lamp's reply) at the same time, through the same broker: the baseline under the
/// same load. Overhead = HTTP execute → ACKED minus the raw round trip, at p50 and at p99.
///
/// The streams are the admin's (each sees every lamp: the worst case, the figure), or with `household` set
/// (phase `load-households`), members' in a building of households: the commanded lamps split into households of
/// that many lamps, one member per household seeing only its own, the streams spread over the members.
enum CommandLoad {
  struct Result: Sendable {
    var lamps = 0
    var streams = 0
    var clients = 0
    var rate = 0
    /// Lamps per household when the streams were members' (nil: the admin's).
    var household: Int?
    var seconds = 0.0
    var http = LatencySeries()
    var raw = LatencySeries()
    var notAcked = 0
    var firstFailure: String?
    var sent: Int { http.values.count }
  }

  private struct ClientOutcome: Sendable {
    var latencies = LatencySeries()
    var notAcked = 0
    var firstFailure: String?
  }

  static func run(
    _ context: BenchContext, lamps: Int, streams: Int, clients: Int, rate: Int, seconds: Int, household: Int? = nil
  ) async throws -> Result {
    let fleet = try await Fleet.start(context, lamps: max(lamps, clients + 1))
    let topics = fleet.topics
    let board = ProbeBoard(probes: max(streams, 1))
    // One token per stream: the admin's, or the member of the household the stream belongs to.
    var members: [String] = []
    if let household {
      let runID = UInt32.random(in: 0...UInt32.max)
      let commandable = Array(topics.dropFirst())
      for (index, start) in stride(from: 0, to: commandable.count, by: household).enumerated() {
        let lampsOfHousehold = Array(commandable[start..<min(commandable.count, start + household)])
        members.append(try await context.createMember("home\(index)-\(runID)@example.com", devices: lampsOfHousehold))
      }
    }
    let tokens = members.isEmpty ? [context.token] : members
    var channels: [any Channel] = []
    for batch in stride(from: 0, to: streams, by: 100) {
      try await withThrowingTaskGroup(of: (any Channel).self) { group in
        for index in batch..<min(streams, batch + 100) {
          group.addTask {
            try await StreamProbe.open(
              index: index, board: board, host: context.host, port: context.port, token: tokens[index % tokens.count],
              group: context.group, counting: false)
          }
        }
        for try await channel in group { channels.append(channel) }
      }
    }
    let opened = ContinuousClock.now + .seconds(120)
    while board.readyCount < streams {
      guard ContinuousClock.now < opened else {
        throw RawHTTPClient.Failure(description: "only \(board.readyCount) of \(streams) streams opened")
      }
      try await Task.sleep(for: .milliseconds(50))
    }
    Progress.note(
      "\(topics.count) lamps online, \(streams) streams open"
        + (household.map { " (members of \(tokens.count) households of \($0) lamps)" } ?? " (the admin's)")
        + "; \(rate) commands/s from \(clients) clients")

    // The raw lamp is the first; client c commands every lamp whose index is c + 1 modulo the client count.
    let rawLamp = topics[0]
    let commanded = Array(topics.dropFirst())
    let perClient = Duration.seconds(Double(clients) / Double(rate))
    let count = rate * seconds / clients
    let runID = UInt32.random(in: 0...UInt32.max)
    let start = ContinuousClock.now + .milliseconds(200)
    let stop = Atomic<Bool>(false)

    let rawTask = Task { () -> LatencySeries in
      let client = try context.mqttClient("load-raw")
      try await client.connect()
      var replies = try await client.subscribe(["stat/\(rawLamp)/POWER"], qos: .atMostOnce).makeAsyncIterator()
      var series = LatencySeries()
      var index = 0
      try await Task.sleep(until: start)
      while !stop.load(ordering: .relaxed) {
        let action = index % 2 == 0 ? "ON" : "OFF"
        let begin = ContinuousClock.now
        try await client.publish(topic: "cmnd/\(rawLamp)/POWER", payload: action, qos: .atLeastOnce)
        while let reply = await replies.next(), reply.payloadString != action {}
        series.append(ContinuousClock.now - begin)
        index += 1
        // The same pace as one command client: the raw series samples the whole run.
        try await Task.sleep(until: begin + perClient)
      }
      await client.disconnect()
      return series
    }

    let outcomes = try await withThrowingTaskGroup(of: ClientOutcome.self) { group in
      for client in 0..<clients {
        let mine = commanded.enumerated().filter { $0.offset % clients == client }.map(\.element)
        group.addTask {
          let http = try await RawHTTPClient.connect(host: context.host, port: context.port, group: context.group)
          var outcome = ClientOutcome()
          // Clients start spread over one interval, so the load is even rather than in bursts of C.
          let offset = perClient * (Double(client) / Double(clients))
          for index in 0..<count {
            try await Task.sleep(until: start + offset + perClient * index)
            let lamp = mine[index % mine.count]
            let action = (index / mine.count) % 2 == 0 ? "ON" : "OFF"
            let requestID = "l\(runID)-\(client)-\(index)"
            let body =
              "{\"deviceId\":\"\(lamp)\",\"action\":\"\(action)\",\"requestId\":\"\(requestID)\",\"waitForAck\":true}"
            let begin = ContinuousClock.now
            let reply = try await http.send(
              "POST", "/api/v1/commands/execute", headers: [context.authorization, ("Idempotency-Key", requestID)],
              body: body)
            outcome.latencies.append(ContinuousClock.now - begin)
            if !reply.body.contains("\"status\":\"ACKED\"") {
              outcome.notAcked += 1
              if outcome.firstFailure == nil { outcome.firstFailure = "\(reply.status) \(reply.body.prefix(300))" }
            }
          }
          await http.close()
          return outcome
        }
      }
      return try await group.reduce(into: [ClientOutcome]()) { $0.append($1) }
    }
    let elapsed = ContinuousClock.now - start
    stop.store(true, ordering: .relaxed)
    var result = Result(
      lamps: topics.count, streams: streams, clients: clients, rate: rate, household: household,
      seconds: Statistics.seconds(elapsed))
    result.raw = try await rawTask.value
    for outcome in outcomes {
      result.http.values += outcome.latencies.values
      result.notAcked += outcome.notAcked
      result.firstFailure = result.firstFailure ?? outcome.firstFailure
    }
    for channel in channels { try? await channel.close() }
    await fleet.stop()
    return result
  }
}
