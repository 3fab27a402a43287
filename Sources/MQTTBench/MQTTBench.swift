/// Measures our MQTT client through a broker: publish→receive round trip (p50/p99) and QoS 0 / QoS 1 publish
/// throughput. Prints one JSON object; scripts/bench-mqtt.sh runs it next to bench/paho_bench.py.
import Logging
import MQTT
import NIOCore
import NIOPosix

#if canImport(Glibc)
  import Glibc
#endif

@main
struct MQTTBench {
  static func main() async throws {
    var options: [String: String] = [:]
    var arguments = CommandLine.arguments.dropFirst().makeIterator()
    while let key = arguments.next() {
      guard key.hasPrefix("--"), let value = arguments.next() else {
        print(
          "usage: MQTTBench --url mqtt://127.0.0.1:1883 [--username u --password p] [--rtt 5000] [--qos0 200000] [--qos1 50000] [--window 64] [--executor loop|global|nio]"
        )
        return
      }
      options[String(key.dropFirst(2))] = value
    }
    // Where the measuring tasks run. "loop" (the default): on Swift's global executor, but inside a preference for
    // the client's event loop (MQTTClient.taskExecutor), so a publish and the arrival of its echo stay on the
    // loop's thread. "global": no preference, every wake-up crosses between the loop and the global executor's
    // threads. "nio": NIO's event loop installed as Swift's global executor, process-wide (all tasks on one loop).
    let executor = options["executor"] ?? "loop"
    guard ["loop", "global", "nio"].contains(executor) else {
      print("unknown --executor \(executor): loop, global or nio")
      return
    }
    if executor == "nio" {
      NIOSingletons.groupLoopCountSuggestion = 1
      guard NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() else {
        print("could not install the NIO event loop as the global executor")
        return
      }
    }
    let url = options["url"] ?? "mqtt://127.0.0.1:1883"
    let rttCount = Int(options["rtt"] ?? "") ?? 5000
    let qos0Count = Int(options["qos0"] ?? "") ?? 200_000
    let qos1Count = Int(options["qos1"] ?? "") ?? 50_000
    let window = Int(options["window"] ?? "") ?? 64

    var configuration = try MQTTClientConfiguration(
      url: url, clientID: "swift-bench-\(UInt32.random(in: 0...UInt32.max))")
    configuration.username = options["username"]
    configuration.password = options["password"]
    configuration.ackTimeout = .seconds(30)
    configuration.subscriptionBufferSize = 1 << 20
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    let client = MQTTClient(configuration: configuration, logger: logger)
    try await client.connect()

    let preference: (any TaskExecutor)? = executor == "loop" ? client.taskExecutor : nil
    let rtt = try await withTaskExecutorPreference(preference) { try await roundTrip(client, count: rttCount) }
    let cpuBefore = processCPUTime()
    let qos0 = try await withTaskExecutorPreference(preference) {
      try await throughput(client, count: qos0Count, qos: .atMostOnce, window: 1)
    }
    let qos0CPU = (processCPUTime() - cpuBefore) / Double(qos0Count) * 1e6
    // The publishing child tasks inherit the preference.
    let qos1 = try await withTaskExecutorPreference(preference) {
      try await throughput(client, count: qos1Count, qos: .atLeastOnce, window: window)
    }
    await client.disconnect()
    print(
      """
      {"client": "swift", "executor": "\(executor)", "rtt_p50_us": \(rtt.p50), "rtt_p99_us": \(rtt.p99), "rtt_count": \(rttCount), \
      "qos0_msgs_per_s": \(Int(qos0)), "qos0_count": \(qos0Count), \
      "qos0_cpu_us_per_msg": \((qos0CPU * 100).rounded() / 100), "qos1_msgs_per_s": \(Int(qos1)), \
      "qos1_count": \(qos1Count), "qos1_window": \(window)}
      """)
  }

  /// User plus system CPU seconds this process has used so far (all threads).
  static func processCPUTime() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
  }

  /// Publish on a topic we subscribe to and wait for the broker to hand it back, one message at a time.
  static func roundTrip(_ client: MQTTClient, count: Int) async throws -> (p50: Double, p99: Double) {
    let topic = "bench/rtt/\(UInt32.random(in: 0...UInt32.max))"
    let subscription = try await client.subscribe([topic], qos: .atMostOnce)
    var iterator = subscription.makeAsyncIterator()
    let payload = ByteBuffer(repeating: 0x42, count: 32)
    let clock = ContinuousClock()
    var samples: [Duration] = []
    samples.reserveCapacity(count)
    for index in 0..<(count + count / 10) {
      let start = clock.now
      try await client.publish(topic: topic, payload: payload)
      guard await iterator.next() != nil else { throw MQTTError.closed }
      if index >= count / 10 { samples.append(clock.now - start) }  // the first 10 % warm up
    }
    try await client.unsubscribe([topic])
    samples.sort()
    func microseconds(_ quantile: Double) -> Double {
      let duration = samples[min(samples.count - 1, Int(Double(samples.count) * quantile))]
      return (duration / .microseconds(1) * 10).rounded() / 10
    }
    return (microseconds(0.5), microseconds(0.99))
  }

  /// Messages per second until the broker has everything: QoS 0 ends with a QoS 1 publish whose PUBACK proves the
  /// broker read all earlier packets (TCP keeps order); QoS 1 keeps `window` publishes in flight.
  static func throughput(_ client: MQTTClient, count: Int, qos: MQTTQoS, window: Int) async throws -> Double {
    let topic = "bench/throughput/\(UInt32.random(in: 0...UInt32.max))"
    let payload = ByteBuffer(repeating: 0x42, count: 32)
    let clock = ContinuousClock()
    let start = clock.now
    if qos == .atMostOnce {
      for _ in 0..<count { try await client.publish(topic: topic, payload: payload) }
      try await client.publish(topic: topic, payload: payload, qos: .atLeastOnce)
    } else {
      try await withThrowingTaskGroup(of: Void.self) { group in
        for index in 0..<count {
          if index >= window { try await group.next() }
          group.addTask { try await client.publish(topic: topic, payload: payload, qos: qos) }
        }
        try await group.waitForAll()
      }
    }
    return Double(count) / ((clock.now - start) / .seconds(1))
  }
}
