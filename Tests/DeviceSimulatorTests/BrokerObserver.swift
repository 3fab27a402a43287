import Foundation
import TestSupport

/// An independent MQTT client watching the broker: `mosquitto_sub` subscribed to `#`, printing
/// `<retain flag> <topic> <payload>` per message into a file we read back.
final class BrokerObserver: Sendable {
  struct Line: Sendable, Hashable {
    var retained: Bool
    var topic: String
    var payload: String
  }

  private let process: ChildProcess
  private let broker: MosquittoBroker
  private let directory: TemporaryDirectory

  /// Starts the observer and returns once it provably receives messages (a probe it publishes came back).
  init(broker: MosquittoBroker, filter: String = "#") async throws {
    self.broker = broker
    directory = TemporaryDirectory(prefix: "observer")
    process = try ChildProcess(
      executable: "/usr/bin/mosquitto_sub",
      arguments: broker.credentials + [
        "-h", "127.0.0.1", "-p", "\(broker.tcpPort)", "-t", filter, "-t", "probe/#",
        "-F", "%r %t %p",
      ],
      stdoutPath: directory.file("out"), stderrPath: directory.file("err"))
    let probe = "probe/\(UUID().uuidString.prefix(8))"
    try await poll("observer receives its probe", timeout: .seconds(10), interval: .milliseconds(100)) {
      try await Self.publish(broker, topic: probe, payload: "ping")
      return self.lines.contains { $0.topic == probe }
    }
  }

  /// Everything seen so far, in arrival order.
  var lines: [Line] {
    let text = (try? String(contentsOfFile: process.stdoutPath, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").compactMap { raw in
      let parts = raw.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
      guard parts.count >= 2 else { return nil }
      return Line(retained: parts[0] == "1", topic: String(parts[1]), payload: parts.count > 2 ? String(parts[2]) : "")
    }
  }

  func lines(topic: String) -> [Line] { lines.filter { $0.topic == topic } }

  func count(topic: String, payload: String) -> Int {
    lines.count { $0.topic == topic && $0.payload == payload }
  }

  func stop() async { await process.terminate() }

  /// Publishes with `mosquitto_pub` (a nil payload sends an empty message) and waits for it to exit.
  static func publish(_ broker: MosquittoBroker, topic: String, payload: String?) async throws {
    let directory = TemporaryDirectory(prefix: "pub")
    let message = payload.map { ["-m", $0] } ?? ["-n"]
    let child = try ChildProcess(
      executable: "/usr/bin/mosquitto_pub",
      arguments: broker.credentials + ["-h", "127.0.0.1", "-p", "\(broker.tcpPort)", "-q", "1", "-t", topic] + message,
      stdoutPath: directory.file("out"), stderrPath: directory.file("err"))
    await child.waitForExit(timeout: .seconds(10))
    guard child.exitCode == 0 else {
      throw HarnessError("mosquitto_pub \(topic) failed: \(child.standardError)")
    }
  }

  /// The retained messages under `filter` as a fresh subscriber sees them (`mosquitto_sub --retained-only`).
  static func retained(_ broker: MosquittoBroker, filter: String) async throws -> [Line] {
    let directory = TemporaryDirectory(prefix: "retained")
    let child = try ChildProcess(
      executable: "/usr/bin/mosquitto_sub",
      arguments: broker.credentials + [
        "-h", "127.0.0.1", "-p", "\(broker.tcpPort)", "-t", filter, "--retained-only",
        "-W", "1", "-F", "%r %t %p",
      ],
      stdoutPath: directory.file("out"), stderrPath: directory.file("err"))
    await child.waitForExit(timeout: .seconds(10))
    let text = child.standardOutput
    return text.split(separator: "\n").compactMap { raw in
      let parts = raw.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
      guard parts.count >= 2 else { return nil }
      return Line(retained: parts[0] == "1", topic: String(parts[1]), payload: parts.count > 2 ? String(parts[2]) : "")
    }
  }
}

extension MosquittoBroker {
  var credentials: [String] {
    guard let username else { return [] }
    return ["-u", username] + (password.map { ["-P", $0] } ?? [])
  }
}
