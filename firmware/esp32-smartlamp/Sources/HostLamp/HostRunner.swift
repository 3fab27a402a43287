import CMosquitto
import Glibc
import LampCore

/// Runs one lamp as a process: owns the libmosquitto client, feeds its callbacks, the clock, the simulated button
/// and stdin into the core, and carries out the core's actions. Single-threaded: libmosquitto's callbacks run inside
/// `mosquitto_loop` on this thread.
final class HostRunner {
  let options: HostOptions
  var lamp: Lamp
  let mosq: OpaquePointer
  let clockOffset: UInt32
  var connectRequested = false
  var socketOpen = false
  var buttonReleaseAt: UInt32? = nil
  var running = true
  var lastRelay: Bool? = nil

  init(options: HostOptions, mosq: OpaquePointer) throws(HostError) {
    self.options = options
    self.mosq = mosq
    var config = LampConfig(deviceId: Array(options.deviceId.utf8).span, secret: Array(options.secret.utf8).span)
    config.restorePolicy = options.restore
    config.reconnectInitialMs = options.reconnectInitialMs
    config.reconnectMaxMs = options.reconnectMaxMs
    do {
      try config.validate()
    } catch {
      throw .config("invalid configuration: \(error)")
    }
    var random = SystemRandomNumberGenerator()
    lamp = Lamp(config: config, seed: random.next())
    let raw = HostRunner.rawMonotonicMs()
    clockOffset = options.monotonicStartMs.map { $0 &- raw } ?? 0
  }

  static func rawMonotonicMs() -> UInt32 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt32(truncatingIfNeeded: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
  }

  /// The lamp's 32-bit counter (optionally shifted to start near the wrap) and the wall clock.
  func now() -> LampTime {
    var wall = timespec()
    clock_gettime(CLOCK_REALTIME, &wall)
    let wallMs = UInt64(wall.tv_sec) * 1000 + UInt64(wall.tv_nsec) / 1_000_000
    return LampTime(monotonicMs: HostRunner.rawMonotonicMs() &+ clockOffset, wallMs: wallMs)
  }

  func log(_ text: String) {
    print("host-lamp \(options.deviceId) [\(now().monotonicMs)]: \(text)")
    fflush(nil)
  }

  // MARK: - Events into the core

  func boot() {
    var record: [UInt8] = []
    if let path = options.stateFile, case .success(let line) = readFirstLine(path) {
      record = HostRunner.bytes(hex: line)
    }
    var effects = HostEffects(runner: self)
    lamp.boot(restoring: record.span, now: now(), effects: &effects)
    log(
      "booted: power \(lamp.power ? "ON" : "OFF") (restore \(options.restore), \(record.isEmpty ? "no" : "a") saved state)"
    )
    afterEvent()
  }

  func onConnect(_ code: Int32) {
    var effects = HostEffects(runner: self)
    if code == 0 {
      log("connected")
      lamp.connected(now: now(), effects: &effects)
    } else {
      log("connection refused by the broker (CONNACK \(code))")
      lamp.disconnected(now: now(), effects: &effects)
    }
    afterEvent()
  }

  func onDisconnect(_ code: Int32) {
    socketOpen = false
    log("disconnected (\(code))")
    var effects = HostEffects(runner: self)
    lamp.disconnected(now: now(), effects: &effects)
    afterEvent()
  }

  func onMessage(topic: UnsafePointer<CChar>, payload: UnsafeRawPointer?, length: Int32) {
    let topicBytes = UnsafeRawBufferPointer(start: topic, count: strlen(topic)).bindMemory(to: UInt8.self)
    let payloadBytes = UnsafeRawBufferPointer(start: payload, count: Int(max(length, 0))).bindMemory(to: UInt8.self)
    var effects = HostEffects(runner: self)
    let before = lamp.stats
    lamp.message(topic: topicBytes.span, payload: payloadBytes.span, now: now(), effects: &effects)
    if lamp.stats.refused != before.refused { log("refused a command on \(String(cString: topic))") }
    afterEvent()
  }

  var lastMonotonic: UInt32? = nil

  func tick() {
    let time = now()
    if let last = lastMonotonic, time.monotonicMs < last { log("32-bit millisecond counter wrapped") }
    lastMonotonic = time.monotonicMs
    var effects = HostEffects(runner: self)
    simulateButton(at: time.monotonicMs)
    lamp.buttonSample(pressed: buttonReleaseAt != nil, now: time, effects: &effects)
    lamp.tick(now: time, effects: &effects)
    afterEvent()
  }

  /// Carries out a connect the core asked for; done outside the core's call so its answer can re-enter it.
  func afterEvent() {
    guard connectRequested else { return }
    connectRequested = false
    log("connecting to \(options.host):\(options.port)\(options.tls ? " (TLS)" : "")")
    let code = mosquitto_connect(mosq, options.host, options.port, options.keepAliveSeconds)
    if code == Int32(MOSQ_ERR_SUCCESS.rawValue) {
      socketOpen = true
    } else {
      log("connect failed: \(String(cString: mosquitto_strerror(code)))")
      var effects = HostEffects(runner: self)
      lamp.disconnected(now: now(), effects: &effects)
      afterEvent()
    }
  }

  // MARK: - Loop

  func run() {
    boot()
    while running && hostStopSignal == 0 {
      if socketOpen {
        let code = mosquitto_loop(mosq, 10, 1)
        if code != Int32(MOSQ_ERR_SUCCESS.rawValue) && socketOpen {
          // The connection broke without a disconnect callback (e.g. TLS failure during the handshake).
          onDisconnect(code)
        }
      } else {
        usleep(10_000)
      }
      readStdin()
      tick()
    }
    if socketOpen {
      // A graceful stop says OFFLINE itself: a clean DISCONNECT does not fire the Will.
      let topic = lamp.willTopic.string
      _ = mosquitto_publish(mosq, nil, topic, 7, "OFFLINE", 1, true)
      for _ in 0..<20 { _ = mosquitto_loop(mosq, 10, 1) }
      mosquitto_disconnect(mosq)
      _ = mosquitto_loop(mosq, 10, 1)
    }
    log("stopped")
  }

  /// The simulated button: each queued press holds it 120 ms, then leaves it released at least 120 ms, like a
  /// finger pressing twice (two presses never merge into one long one).
  var pendingPresses = 0
  var buttonFreeAt: UInt32? = nil

  func simulateButton(at now: UInt32) {
    if let release = buttonReleaseAt {
      guard Int32(bitPattern: now &- release) >= 0 else { return }
      buttonReleaseAt = nil
      buttonFreeAt = now &+ 120
      log("button released")
    } else if pendingPresses > 0, buttonFreeAt.map({ Int32(bitPattern: now &- $0) >= 0 }) ?? true {
      pendingPresses -= 1
      buttonReleaseAt = now &+ 120
      log("button pressed")
    }
  }

  var stdinBuffer: [UInt8] = []
  var stdinOpen = true

  func readStdin() {
    guard stdinOpen else { return }
    var poller = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
    guard poll(&poller, 1, 0) > 0 else { return }
    var chunk = [UInt8](repeating: 0, count: 256)
    let count = read(0, &chunk, chunk.count)
    if count <= 0 {
      stdinOpen = false
      return
    }
    stdinBuffer.append(contentsOf: chunk.prefix(count))
    while let newline = stdinBuffer.firstIndex(of: 0x0A) {
      let line = String(decoding: stdinBuffer[..<newline], as: UTF8.self)
      stdinBuffer.removeSubrange(...newline)
      switch line.trimmingSpaces {
      case "press": pendingPresses += 1
      case "quit": running = false
      case "": break
      default: log("unknown stdin command")
      }
    }
  }

  static func bytes(hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    guard digits.count % 2 == 0 else { return [] }
    var out: [UInt8] = []
    for index in stride(from: 0, to: digits.count, by: 2) {
      guard let high = Hex.value(digits[index]), let low = Hex.value(digits[index + 1]) else { return [] }
      out.append(high << 4 | low)
    }
    return out
  }
}

extension String {
  var trimmingSpaces: String {
    var text = Substring(self)
    while let first = text.first, first == " " || first == "\r" || first == "\t" { text.removeFirst() }
    while let last = text.last, last == " " || last == "\r" || last == "\t" { text.removeLast() }
    return String(text)
  }
}

extension FixedBytes {
  var string: String { withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
}

/// The core's actions on the host: MQTT through libmosquitto, the relay as a log line, the saved state as a file.
struct HostEffects: LampEffects {
  let runner: HostRunner

  mutating func setRelay(_ on: Bool) {
    runner.lastRelay = on
    runner.log("relay \(on ? "ON" : "OFF")")
  }

  mutating func publish(topic: borrowing TopicBuffer, payload: borrowing PayloadBuffer, qos: UInt8, retain: Bool) {
    let topicText = topic.string
    let code = payload.withUnsafeBytes { bytes in
      mosquitto_publish(runner.mosq, nil, topicText, Int32(bytes.count), bytes.baseAddress, Int32(qos), retain)
    }
    if code != Int32(MOSQ_ERR_SUCCESS.rawValue) {
      runner.log("publish to \(topicText) failed: \(String(cString: mosquitto_strerror(code)))")
    }
  }

  mutating func subscribe(topic: borrowing TopicBuffer, qos: UInt8) {
    _ = mosquitto_subscribe(runner.mosq, nil, topic.string, Int32(qos))
  }

  mutating func persist(record: borrowing FixedBytes<16>) {
    guard let path = runner.options.stateFile else { return }
    var hex = FixedBytes<32>()
    record.withSpan { hex.appendHex($0) }
    let temporary = path + ".tmp"
    guard let file = fopen(temporary, "w") else {
      runner.log("cannot write \(temporary)")
      return
    }
    fputs(hex.string + "\n", file)
    fflush(file)
    fsync(fileno(file))
    fclose(file)
    rename(temporary, path)
  }

  mutating func scheduleReconnect(afterMs: UInt32) {
    runner.log("reconnect in \(afterMs) ms")
  }

  mutating func connect() { runner.connectRequested = true }
}
