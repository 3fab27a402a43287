import Foundation

/// Every phase's figures, printed as one table at the end (scripts/bench.sh reads some lines back: keep their
/// wording).
struct Report {
  var startup: Startup?
  var registration = Registration.Result()
  var commands: [CommandRoundTrip.Result] = []
  var fanOut = FanOut.Result()
  var ingest = Ingest.Result()
  var batch = BatchRoundTrip.Result()
  var load = CommandLoad.Result()
  /// The same load with members' streams, each seeing its household's lamps (phase `load-households`).
  var loadHouseholds = CommandLoad.Result()

  private func row(_ name: String, _ series: LatencySeries) -> String {
    name.padding(toLength: 58, withPad: " ", startingAt: 0)
      + String(format: "%9.3f %9.3f %9.3f %8d", series.p50, series.p99, series.maximum, series.values.count)
  }

  private static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_048_576) }

  private static func verdict(_ met: Bool) -> String { met ? "met" : "missed" }

  func print(options: LampBench.Options) {
    var lines = [
      "SmartLamp lamp benchmark (smartlamp serve as a child process on "
        + (BenchServer.databaseURL(directory: "").hasPrefix("mariadb") ? "MariaDB" : "SQLite")
        + "; Mosquitto on loopback)",
      "metric".padding(toLength: 58, withPad: " ", startingAt: 0) + "   p50 ms    p99 ms    max ms        n",
    ]
    if let startup {
      let fresh = Statistics.milliseconds(startup.fresh)
      let again = Statistics.milliseconds(startup.again)
      lines += [
        String(
          format: "0 start to healthy: %.0f ms on an existing database (goal < 300 ms: %@); %.0f ms creating it",
          again, Self.verdict(again < 300), fresh),
        "  idle RSS: \(Self.megabytes(startup.idleRSS)) (goal < 50 MB: \(Self.verdict(startup.idleRSS < 50 << 20)))",
      ]
    }
    lines += commandLines()
    if fanOut.streams > 0 {
      lines += [
        row("3 SSE fan-out to \(fanOut.streams) streams (publish → frame read)", fanOut.quiet),
        row("  the same during a flood on the slow readers' lamp", fanOut.duringFlood),
        String(
          format:
            "  %d streams (%d never read) opened in %.1f s; server memory per idle stream: %.1f KB; "
            + "p99 goal ≤ 250 ms at 10 000 streams: %@",
          fanOut.streams, fanOut.slow, fanOut.connectSeconds, fanOut.bytesPerIdleStream / 1024,
          Self.verdict(max(fanOut.quiet.p99, fanOut.duringFlood.p99) <= 250)),
        "  slow readers dropped by the hub: \(fanOut.slowDropped) of \(fanOut.slow) after \(fanOut.floodReports) "
          + "flood reports; reading streams ended meanwhile: \(fanOut.readersEnded)",
        "  rounds lost (report not at every reader within \(FanOut.roundLimit)): \(fanOut.lostQuiet) quiet, "
          + "\(fanOut.lostDuringFlood) during the flood; reader frames missed: \(fanOut.missedFrames); "
          + "MQTT messages the server dropped: \(fanOut.mqttDropped); streams closed by the server: "
          + (fanOut.closedByReason.isEmpty
            ? "none"
            : fanOut.closedByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")),
      ]
    }
    if ingest.devices > 0 {
      let ratio = ingest.perSecond / ingest.barePerSecond
      lines += [
        String(
          format: "4 state ingest: %.0f reports/s (%d reports for %d connected devices in %.2f s; window %d)",
          ingest.perSecond, ingest.messages, ingest.devices, ingest.seconds, ingest.window),
        String(
          format: "  bare subscriber (MQTT client alone) on the same stream: %.0f reports/s; SmartLamp/bare %.2f× "
            + "(goal ≥ 0.8×: %@; ≥ 50 000/s with 10 000 devices: %@)",
          ingest.barePerSecond, ratio, Self.verdict(ratio >= 0.8), Self.verdict(ingest.perSecond >= 50_000)),
        String(format: "  fleet of %d simulated devices online in %.1f s", ingest.devices, ingest.connectSeconds),
      ]
      if ingest.rssStreams > 0 {
        lines.append(
          "  RSS with \(ingest.devices) devices and \(ingest.rssStreams) streams: "
            + Self.megabytes(ingest.rssWithDevicesAndStreams))
      }
    }
    if batch.lamps > 0 {
      lines += [
        row("5 \(batch.lamps) raw MQTT round trips pipelined (all replied)", batch.raw),
        row("  batch of \(batch.lamps) lamps, waitForAck → all ACKED", batch.batch),
        String(
          format: "  batch/raw at p50: %.2f×; items not ACKED: %d", batch.batch.p50 / batch.raw.p50, batch.notAcked),
      ]
      if let failure = batch.firstFailure { lines.append("  first batch not all ACKED: \(failure)") }
    }
    lines += loadLines(load, number: "6", label: "")
    lines += loadLines(loadHouseholds, number: "7", label: ", households")
    Swift.print(lines.joined(separator: "\n"))
    Registration.print(registration)
  }

  /// The command overhead under load; the admin's streams (row 6, read back by scripts/bench.sh: keep the wording)
  /// or members' in households (row 7).
  private func loadLines(_ load: CommandLoad.Result, number: String, label: String) -> [String] {
    guard load.sent > 0 else { return [] }
    let p50 = load.http.p50 - load.raw.p50
    let p99 = load.http.p99 - load.raw.p99
    let streams =
      load.household.map { "\(load.streams) streams of members (households of \($0) lamps)" }
      ?? "\(load.streams) streams open"
    var lines = [
      row("\(number) raw MQTT round trip under load\(label)", load.raw),
      row("  HTTP execute waitForAck → ACKED under load\(label)", load.http),
      String(
        format:
          "  %d lamps, %@, %d clients at %d commands/s (%.0f/s achieved); overhead under load: "
          + "p50 %.3f ms (goal ≤ 2 ms: %@), p99 %.3f ms (goal ≤ 10 ms: %@); not ACKED: %d",
        load.lamps, streams, load.clients, load.rate, Double(load.sent) / max(load.seconds, 1e-9), p50,
        Self.verdict(p50 <= 2), p99,
        Self.verdict(p99 <= 10), load.notAcked),
    ]
    if let failure = load.firstFailure { lines.append("  first non-ACKED answer under load\(label): \(failure)") }
    return lines
  }

  private func commandLines() -> [String] {
    let overheads = commands.map { $0.http.p50 - $0.raw.p50 }
    let medianIndex = overheads.indices.sorted { overheads[$0] < overheads[$1] }.dropFirst(overheads.count / 2).first
    let median = medianIndex.map { commands[$0] } ?? CommandRoundTrip.Result()
    guard !median.http.values.isEmpty else { return [] }
    let overhead = median.http.p50 - median.raw.p50
    var lines = [
      row("1 raw MQTT round trip (publish cmnd → simulator reply)", median.raw),
      row("2 HTTP execute waitForAck → ACKED", median.http),
      row("  2a request → server's cmnd seen by observer", median.toPublish),
      row("  2b cmnd → device reply seen by observer", median.device),
      row("  2c device reply → HTTP answer read", median.toAnswer),
      "  SmartLamp overhead at p50 (2 − 1), per round: "
        + overheads.map { String(format: "%.3f", $0) }.joined(separator: ", ") + " ms (rows 1–2 show the median round)",
      String(
        format: "  SmartLamp overhead at p50, median of %d rounds: %.3f ms (goal ≤ 2 ms: %@); not ACKED: %d",
        overheads.count, overhead, Self.verdict(overhead <= 2), commands.reduce(0) { $0 + $1.notAcked }),
      row("  floor: GET /api/health (no auth)", median.health),
      row("  floor: execute with {} → 400 (HTTP + auth only)", median.authenticatedRead),
      row("  floor: execute without waitForAck (→ PUBLISHED)", median.published),
    ]
    if let failure = commands.lazy.compactMap(\.firstFailure).first {
      lines.append("  first non-ACKED answer: \(failure.prefix(300))")
    }
    return lines
  }
}
