/// Benchmarks for the Tasmota layer: parse throughput of RESULT and STATE payloads, and how many simulated devices
/// one process sustains on a real broker with a given teleperiod.
///
///     TasmotaBench parse [--iterations N]
///     TasmotaBench devices --broker URL [--counts 100,500,1000] [--teleperiod 10] [--duration 30]
import DeviceSimulator
import Foundation
import Logging
import MQTT
import Synchronization
import Tasmota

let arguments = Array(CommandLine.arguments.dropFirst())

func option(_ name: String, default value: String) -> String {
  guard let index = arguments.firstIndex(of: "--\(name)"), index + 1 < arguments.count else { return value }
  return arguments[index + 1]
}

func seconds(_ duration: Duration) -> Double {
  Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func rate(_ count: Int, _ duration: Duration) -> String {
  let perSecond = Double(count) / max(seconds(duration), 1e-9)
  return perSecond >= 1e6 ? String(format: "%.2f M/s", perSecond / 1e6) : String(format: "%.0f k/s", perSecond / 1e3)
}

// MARK: - parse throughput

func benchParse() {
  let iterations = Int(option("iterations", default: "500000")) ?? 500_000
  let result = Array(#"{"POWER2":"ON"}"#.utf8)
  let bitmask = Array(#"{"POWER":"01010101"}"#.utf8)
  let state = Array(
    (#"{"Time":"2026-11-22T18:00:00","Uptime":"1T02:03:04","UptimeSec":93784,"Heap":27,"SleepMode":"Dynamic","#
      + #""Sleep":50,"LoadAvg":19,"MqttCount":1,"POWER1":"ON","POWER2":"OFF","POWER3":"OFF","POWER4":"ON","#
      + #""Wifi":{"AP":1,"SSId":"SmartLampSim","BSSId":"11:22:33:44:55:66","Channel":6,"Mode":"11n","RSSI":86,"#
      + #""Signal":-57,"LinkCount":1,"Downtime":"0T00:00:03"}}"#).utf8)
  let discovery = Array(
    SimulatedDevice(configuration: SimulatedDeviceConfiguration(index: 1, relays: 4)).discoveryPayload().utf8)
  let cases: [(String, String, [UInt8], Int)] = [
    ("RESULT {\"POWER2\":\"ON\"}", "stat/tasmota_000001/RESULT", result, iterations),
    ("RESULT bitmask (8 relays)", "stat/tasmota_000001/RESULT", bitmask, iterations),
    ("stat POWER1 ON (plain text)", "stat/tasmota_000001/POWER1", Array("ON".utf8), iterations),
    ("STATE (4 relays, \(state.count) B)", "tele/tasmota_000001/STATE", state, iterations / 4),
    (
      "discovery config (\(discovery.count) B)",
      "tasmota/discovery/\(SimulatedDeviceConfiguration(index: 1).mac)/config",
      discovery, iterations / 10
    ),
  ]
  print("Tasmota parse throughput (one core, TasmotaMessage.parse(topic:payload:) incl. topic grammar)")
  for (name, topic, payload, count) in cases {
    var recognised = 0
    // Warm-up, then the measured run.
    for _ in 0..<min(count, 10_000) { if case .malformed = TasmotaMessage.parse(topic: topic, payload: payload) {} }
    let elapsed = ContinuousClock().measure {
      for _ in 0..<count {
        switch TasmotaMessage.parse(topic: topic, payload: payload) {
        case .power, .telemetry, .discovery: recognised += 1
        default: break
        }
      }
    }
    precondition(recognised == count, "\(name) was not recognised")
    let perMessage = seconds(elapsed) / Double(count) * 1e9
    print(
      "  \(name.padding(toLength: 34, withPad: " ", startingAt: 0)) \(rate(count, elapsed))  (\(String(format: "%.0f", perMessage)) ns/msg)"
    )
  }
  benchNativeParse(iterations: iterations, tasmotaResult: result)
}

/// The native profile (issue #11) next to the figures above: its status report through `NativeMessage.parse`, and
/// what the server's native check (tried first on every message) costs a Tasmota topic, which it hands back as nil.
func benchNativeParse(iterations: Int, tasmotaResult: [UInt8]) {
  let status = Array(
    #"{"deviceId":"lampu-teras","power":"ON","ts":1764831600123,"reason":"command","rssi":-61,"requestId":"cmd-42"}"#
      .utf8)
  let cases: [(String, String, [UInt8], Bool)] = [
    ("home/<id>/status (\(status.count) B)", "home/lampu-teras/status", status, true),
    ("home/<id>/lwt ONLINE", "home/lampu-teras/lwt", Array("ONLINE".utf8), true),
    ("native check of a stat/ topic", "stat/tasmota_000001/RESULT", tasmotaResult, false),
  ]
  print("Native parse throughput (one core, NativeMessage.parse(topic:payload:))")
  for (name, topic, payload, native) in cases {
    var recognised = 0
    for _ in 0..<min(iterations, 10_000) { _ = NativeMessage.parse(topic: topic, payload: payload) }
    let elapsed = ContinuousClock().measure {
      for _ in 0..<iterations {
        switch NativeMessage.parse(topic: topic, payload: payload) {
        case .status, .availability: recognised += 1
        case .none: if !native { recognised += 1 }
        default: break
        }
      }
    }
    precondition(recognised == iterations, "\(name) was not classified as expected")
    let perMessage = seconds(elapsed) / Double(iterations) * 1e9
    print(
      "  \(name.padding(toLength: 34, withPad: " ", startingAt: 0)) \(rate(iterations, elapsed))  (\(String(format: "%.0f", perMessage)) ns/msg)"
    )
  }
}

// MARK: - sustained devices

/// Process CPU time (user + system) so far.
func cpuTime() -> Double {
  var usage = rusage()
  getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
  return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
    + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// Resident memory in MiB, from /proc/self/status.
func residentMiB() -> Double {
  guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
    let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
    let kib = Double(line.split(separator: " ").dropFirst().first ?? "")
  else { return 0 }
  return kib / 1024
}

func percentile(_ values: [Double], _ p: Double) -> Double {
  guard !values.isEmpty else { return .nan }
  let sorted = values.sorted()
  return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

struct Counters {
  var states: [String: Int] = [:]
  var replies: [String: ContinuousClock.Instant] = [:]
}

func benchDevices() async throws {
  let broker = option("broker", default: "mqtt://127.0.0.1:1883")
  let counts = option("counts", default: "100,500,1000").split(separator: ",").compactMap { Int($0) }
  let teleperiod = Int(option("teleperiod", default: "10")) ?? 10
  let duration = Int(option("duration", default: "30")) ?? 30
  var logger = Logger(label: "bench")
  logger.logLevel = .error
  print("Simulated devices in one process: teleperiod \(teleperiod) s, \(duration) s window per step, broker \(broker)")
  print("  devices  connect   online  STATE recv/expected   cmd replies  reply p50/p99 ms   CPU %   RSS MiB")
  for (step, count) in counts.enumerated() {
    let prefix = "bench\(step)"
    let configuration = DeviceSimulatorConfiguration.fleet(
      brokerURL: broker, count: count, relays: 1, prefix: prefix, teleperiod: .seconds(teleperiod))
    let simulator = try DeviceSimulator(configuration: configuration, logger: logger)

    // The observer: its own connection, counting STATE per device and timing command replies.
    let observer = MQTTClient(
      configuration: try MQTTClientConfiguration(url: broker, clientID: "tasmota-bench-observer-\(step)"),
      logger: logger)
    try await observer.connect()
    let counters = Mutex(Counters())
    let stream = try await observer.subscribe(["tele/+/STATE", "stat/+/POWER"], qos: .atMostOnce)
    let latencies = Mutex([Double]())
    let reader = Task {
      for await message in stream {
        let now = ContinuousClock.now
        guard let topic = TasmotaTopic.parse(message.topic), topic.deviceID.hasPrefix(prefix) else { continue }
        if topic.suffix == "STATE" {
          counters.withLock { $0.states[topic.deviceID, default: 0] += 1 }
        } else if let sent = counters.withLock({ $0.replies.removeValue(forKey: topic.deviceID) }) {
          latencies.withLock { $0.append(seconds(now - sent) * 1000) }
        }
      }
    }

    let start = ContinuousClock.now
    let runner = Task { await simulator.run() }
    while simulator.onlineCount < count && ContinuousClock.now - start < .seconds(120) {
      try await Task.sleep(for: .milliseconds(50))
    }
    let connectTime = ContinuousClock.now - start
    // Discard the STATE each device sends at connect; count only the window.
    counters.withLock { $0.states.removeAll() }
    let cpuStart = cpuTime()
    let windowStart = ContinuousClock.now
    // One command per device spread over the window, timed from publish to the stat/<t>/POWER reply.
    let topics = simulator.deviceTopics
    let gap = Duration.seconds(duration) / max(topics.count, 1) / 2
    for topic in topics {
      counters.withLock { $0.replies[topic] = .now }
      try? await observer.publish(topic: "cmnd/\(topic)/POWER", payload: "TOGGLE", qos: .atMostOnce)
      try await Task.sleep(for: gap)
    }
    try await Task.sleep(until: windowStart + .seconds(duration), clock: .continuous)
    let window = ContinuousClock.now - windowStart
    let cpu = (cpuTime() - cpuStart) / seconds(window) * 100
    let online = simulator.onlineCount
    let received = counters.withLock { $0.states.values.reduce(0, +) }
    let expected = Int(Double(count) * seconds(window) / Double(teleperiod))
    let measured = latencies.withLock { $0 }
    let rss = residentMiB()
    runner.cancel()
    await runner.value
    reader.cancel()
    await observer.disconnect()
    print(
      String(
        format: "  %7d  %6.1f s  %7d  %8d / %-8d  %11d  %7.1f / %-7.1f  %6.0f  %8.0f", count, seconds(connectTime),
        online, received, expected, measured.count, percentile(measured, 0.5), percentile(measured, 0.99), cpu, rss))
  }
}

switch arguments.first {
case "parse": benchParse()
case "devices": try await benchDevices()
default:
  print(
    "usage: TasmotaBench parse [--iterations N] | devices --broker URL [--counts 100,500] [--teleperiod 10] [--duration 30]"
  )
}
