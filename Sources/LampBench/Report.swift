import Foundation

/// The table the bench prints.
enum Report {
  static func print(
    options: LampBench.Options, commands commandRounds: [CommandRoundTrip.Result], fanOut: FanOut.Result,
    ingest: Ingest.Result
  ) {
    let overheads = commandRounds.map { $0.http.p50 - $0.raw.p50 }
    let medianIndex = overheads.indices.sorted { overheads[$0] < overheads[$1] }.dropFirst(overheads.count / 2).first
    let commands = medianIndex.map { commandRounds[$0] } ?? CommandRoundTrip.Result()
    func row(_ name: String, _ series: LatencySeries) -> String {
      name.padding(toLength: 58, withPad: " ", startingAt: 0)
        + String(format: "%9.3f %9.3f %9.3f %8d", series.p50, series.p99, series.maximum, series.values.count)
    }
    var lines = [
      "SmartLamp lamp benchmark (release build; server in process via buildApplication, SQLite; Mosquitto on loopback)",
      "metric".padding(toLength: 58, withPad: " ", startingAt: 0) + "   p50 ms    p99 ms    max ms        n",
    ]
    // Phases left out with --phases measured nothing and print nothing.
    if !commands.http.values.isEmpty {
      let overhead = commands.http.p50 - commands.raw.p50
      lines += [
        row("1 raw MQTT round trip (publish cmnd → simulator reply)", commands.raw),
        row("2 HTTP execute waitForAck → ACKED", commands.http),
        row("  2a request → server's cmnd seen by observer", commands.toPublish),
        row("  2b cmnd → device reply seen by observer", commands.device),
        row("  2c device reply → HTTP answer read", commands.toAnswer),
        "  SmartLamp overhead at p50 (2 − 1), per round: "
          + overheads.map { String(format: "%.3f", $0) }.joined(separator: ", ")
          + " ms (rows 1–2 show the median round)",
        String(
          format: "  SmartLamp overhead at p50, median of %d rounds: %.3f ms (goal ≤ 2 ms: %@); not ACKED: %d",
          overheads.count, overhead, overhead <= 2 ? "met" : "missed", commandRounds.reduce(0) { $0 + $1.notAcked }),
        row("  floor: GET /api/health (no auth)", commands.health),
        row("  floor: execute with {} → 400 (HTTP + auth only)", commands.authenticatedRead),
        row("  floor: execute without waitForAck (→ PUBLISHED)", commands.published),
      ]
    }
    if fanOut.streams > 0 {
      lines += [
        row("3 SSE fan-out to \(fanOut.streams) streams (publish → frame read)", fanOut.latencies),
        String(
          format: "  %d rounds; %d streams opened in %.1f s", fanOut.rounds, fanOut.streams, fanOut.connectSeconds),
      ]
    }
    if ingest.devices > 0 {
      lines += [
        String(
          format: "4 state ingest: %.0f reports/s (%d reports for %d connected devices in %.2f s; window %d)",
          ingest.perSecond, ingest.messages, ingest.devices, ingest.seconds, ingest.window),
        String(format: "  fleet of %d simulated devices online in %.1f s", ingest.devices, ingest.connectSeconds),
      ]
    }
    if let failure = commandRounds.lazy.compactMap(\.firstFailure).first {
      lines.append("  first non-ACKED answer: \(failure.prefix(300))")
    }
    Swift.print(lines.joined(separator: "\n"))
  }
}
