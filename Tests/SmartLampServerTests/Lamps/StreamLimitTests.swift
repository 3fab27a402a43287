import Foundation
import TestSupport
import Testing

@testable import SmartLampServer

#if canImport(Glibc)
  import Glibc
#endif

/// One account cannot exhaust the server (issue #10): realtime streams are capped per session and per person (the
/// oldest is closed with a final `closed` frame), and connections are capped per client address before
/// authentication (`429 TOO_MANY_CONNECTIONS`). Against the real server on loopback.
@Suite(.serialized) struct StreamLimitTests {
  /// Opens a stream and waits for its `hello`, so the server has admitted it before the next one opens.
  static func openStream(_ env: LampEnv, token: String) async throws -> SSEClient {
    let stream = try await SSEClient.open(port: env.port, token: token)
    #expect(stream.status == 200)
    _ = try #require(try await stream.events.next(within: .seconds(10), "hello") { $0.type == "hello" })
    return stream
  }

  /// Every stream in `streams` is still live: each sees the `devices` frame that a new lamp causes.
  static func expectLive(_ env: LampEnv, _ streams: [SSEClient], device: String) async throws {
    try await env.createDevice(device)
    for stream in streams {
      let frame = try await stream.events.next(within: .seconds(10), "devices frame") { $0.type == "devices" }
      #expect(frame != nil, "a stream within the cap was closed")
    }
  }

  @Test func theOldestStreamOfASessionIsClosedPastTheCap() async throws {
    try await LampEnv.with({ $0.realtimeMaxStreamsPerSession = 3 }) { env in
      var streams: [SSEClient] = []
      for _ in 0..<3 { streams.append(try await Self.openStream(env, token: env.adminToken)) }
      let member = try await env.createMember("member@example.com")
      let theirs = try await Self.openStream(env, token: member.token)

      let fourth = try await Self.openStream(env, token: env.adminToken)
      let closed = try await streams[0].events.next(within: .seconds(10), "closed frame") { $0.type == "closed" }
      #expect(closed?.json?["reason"]?.string == "STREAM_LIMIT")
      #expect(try await streams[0].events.next(within: .seconds(10), "end of stream") == nil)
      try await Self.expectLive(env, Array(streams[1...]) + [fourth], device: "cap-a")
      // Counted as the session's cap, not the person's.
      #expect(try await Self.closedStreams(env, "session_limit") == 1)
      #expect(try await Self.closedStreams(env, "person_limit") == 0)

      // Another person's stream was untouched, and they may still open more.
      let another = try await Self.openStream(env, token: member.token)
      try await env.assign(member.id, ["cap-a": "monitoring"])
      for stream in [theirs, another] {
        #expect(try await stream.events.next(within: .seconds(10), "member devices") { $0.type == "devices" } != nil)
      }
      for stream in streams + [fourth, theirs, another] { await stream.close() }
    }
  }

  @Test func aPersonsStreamsAcrossSessionsAreCapped() async throws {
    try await LampEnv.with({
      $0.realtimeMaxStreamsPerSession = 3
      $0.realtimeMaxStreamsPerPerson = 4
    }) { env in
      let phone = env.adminToken
      let laptop = try await LampEnv.login(port: env.port, email: LampEnv.adminEmail, password: LampEnv.adminPassword)
      var streams: [SSEClient] = []
      for token in [phone, phone, laptop, laptop] { streams.append(try await Self.openStream(env, token: token)) }
      // A fifth stream of the same person, in a session well within its own cap: the person's oldest goes.
      let fifth = try await Self.openStream(env, token: laptop)
      let closed = try await streams[0].events.next(within: .seconds(10), "closed frame") { $0.type == "closed" }
      #expect(closed?.json?["reason"]?.string == "STREAM_LIMIT")
      #expect(try await streams[0].events.next(within: .seconds(10), "end of stream") == nil)
      try await Self.expectLive(env, Array(streams[1...]) + [fifth], device: "cap-b")
      #expect(try await Self.closedStreams(env, "person_limit") == 1)
      #expect(try await Self.closedStreams(env, "session_limit") == 0)
      for stream in streams + [fifth] { await stream.close() }

      // Streams that ended give their places back: four fresh ones all stay open.
      var again: [SSEClient] = []
      for token in [phone, phone, laptop, laptop] { again.append(try await Self.openStream(env, token: token)) }
      try await Self.expectLive(env, again, device: "cap-c")
      for stream in again { await stream.close() }
    }
  }

  @Test func connectionsPerAddressAreCappedBeforeAuthentication() async throws {
    try await LampEnv.with({ $0.maxConnectionsPerAddress = 6 }) { env in
      // Six idle connections that never send a byte hold every place of 127.0.0.1, together with what the harness
      // itself holds open (the live test client keeps one connection). The server admits connections in the order
      // their event loops run, not the order they were opened: an idle one may be refused while the seventh is
      // admitted. A refused idle connection has been answered: it is dropped whenever it is seen, and replaced while
      // the refusals are checked.
      var idle: [Int32] = []
      defer { for socket in idle { close(socket) } }
      try await poll("the seventh connection refused") {
        try Self.holdPlaces(&idle, port: env.port)
        let seventh = try Self.exchange(
          port: env.port, "GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return seventh.hasPrefix("HTTP/1.1 429")
      }
      // Refused before a byte of the request is read: a silent client gets the same answer. (Polled: a seventh
      // connection admitted by an earlier round may have been giving its place back when an idle one was refused;
      // an admitted silent client hears nothing and gives up after two seconds.)
      var refused = ""
      try await poll("a silent connection refused") {
        try Self.holdPlaces(&idle, port: env.port)
        refused = try Self.exchange(port: env.port, nil, timeout: 2)
        return !refused.isEmpty
      }
      #expect(refused.hasPrefix("HTTP/1.1 429"), "\(refused)")
      #expect(refused.contains("\"code\":\"TOO_MANY_CONNECTIONS\""))
      #expect(refused.lowercased().contains("retry-after: 5"))

      // One place given back is one request served again. The oldest idle connection is the one closed: it has
      // long been admitted, where the newest may have been refused with the answer still on its way.
      Self.dropRefused(&idle)
      // How many of the six were admitted depends on how many of the test's own connections were still closing
      // (three under the whole suite); two are enough to give one back and keep one.
      try #require(idle.count >= 2, "idle connections admitted: \(idle.count)")
      var keep = idle.count - 1
      let clock = ContinuousClock()
      var givenBackAt = clock.now
      try await poll("a place given back") {
        Self.dropRefused(&idle)
        while idle.count > keep { close(idle.removeFirst()) }
        if (try? await env.call(.get, "/api/health").status) == 200 { return true }
        // Under load another connection of this address (one of the polls above, still closing) can hold a place
        // a while longer: after two seconds one more idle connection is given back, never the last one. A place
        // counted for good is still caught below, where every place must come back.
        if clock.now - givenBackAt > .seconds(2), keep > 1 {
          keep -= 1
          givenBackAt = clock.now
        }
        return false
      }
      #expect(!idle.isEmpty, "served again only once every idle connection was closed")
      for socket in idle { close(socket) }
      idle = []
      // Nothing counted for good: several requests at once all pass once the idle connections are gone.
      // (A refused request shows up as a closed connection in the test client: it counts as "not yet".)
      // The last round's answers go into the failure message (0: the connection closed before an answer), to tell a
      // place counted for good (one 429 in every round) from a slow machine.
      var lastReplies: [Int] = []
      do {
        try await poll("every place back") {
          lastReplies = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<5 { group.addTask { (try? await env.call(.get, "/api/health"))?.status.code ?? 0 } }
            return await group.reduce(into: [Int]()) { $0.append($1) }
          }
          return lastReplies.allSatisfy { $0 == 200 }
        }
      } catch {
        Issue.record("every place back: the last round answered \(lastReplies)")
        throw error
      }
      // The refusals never reached the router, so only this counter shows them: the seventh connection and the
      // silent one at least (the polls may have met the cap more often).
      // (Polled: the metrics request may itself meet the cap while the requests above are still giving their
      // places back; it is then answered 429, whose body holds no series, or closed before its request is sent.)
      var refusals: Double?
      try await poll("the refusals on /metrics") {
        refusals = try? await Self.series(env, "smartlamp_http_connections_refused_total")
        return refusals != nil
      }
      #expect((refusals ?? 0) >= 2, "refused connections counted: \(String(describing: refusals))")
    }
  }

  @Test func aReaderTooSlowForItsBufferIsDroppedAndCounted() async throws {
    try await LampEnv.with { env in
      try await env.createDevice("slow-a")
      let lamp = try await env.startLamp("slow-a")
      let reading = try await Self.openStream(env, token: env.adminToken)
      // A client that asks for the stream and never reads: a small receive window fills at once, then the
      // server's socket buffer, then the hub's buffer for it.
      let stalled = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      defer { close(stalled) }
      var small: Int32 = 2048
      setsockopt(stalled, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_port = in_port_t(UInt16(env.port).bigEndian)
      address.sin_addr.s_addr = inet_addr("127.0.0.1")
      let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          Glibc.connect(stalled, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
      }
      try #require(connected == 0)
      let request =
        "GET /api/v1/realtime/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(env.adminToken)\r\n\r\n"
      _ = request.withCString { send(stalled, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
      try await poll("both streams open") { try await Self.series(env, "smartlamp_realtime_streams") == 2 }

      // Device reports until the hub gives up on the stalled reader (each one a status frame for both streams).
      var sent = 0
      try await poll("the stalled reader dropped", timeout: .seconds(120), interval: .milliseconds(1)) {
        for _ in 0..<200 {
          try await lamp.publishRaw(topic: "stat/slow-a/POWER", payload: sent % 2 == 0 ? "ON" : "OFF")
          sent += 1
        }
        return try await Self.closedStreams(env, "slow_reader") == 1
      }
      // The reading stream was never held back: it is still open and sees the next report.
      try await lamp.publishRaw(topic: "stat/slow-a/POWER", payload: sent % 2 == 0 ? "ON" : "OFF")
      let power = sent % 2 == 0 ? "ON" : "OFF"
      let live = try await reading.events.next(within: .seconds(30), "the last report") {
        $0.type == "status" && $0.json?["payload"]?["power"]?.string == power
          && $0.json?["payload"]?["reportSource"]?.string != "snapshot"
      }
      #expect(live != nil)
      #expect(try await Self.closedStreams(env, "slow_reader") == 1)
      #expect(try await Self.series(env, "smartlamp_realtime_streams") == 1)
      print("stalled realtime reader dropped after \(sent) device reports")
      await reading.close()
      await lamp.stop()
    }
  }

  /// `smartlamp_realtime_streams_closed_total` for one reason.
  static func closedStreams(_ env: LampEnv, _ reason: String) async throws -> Double? {
    try await series(env, "smartlamp_realtime_streams_closed_total{reason=\"\(reason)\"}")
  }

  /// The value of one exposition line: a family without labels, or `name{labels}` exactly as served.
  static func series(_ env: LampEnv, _ series: String) async throws -> Double? {
    let text = try await TestClientText.get(port: env.port, "/metrics", token: env.adminToken)
    for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
      return line.split(separator: " ").last.flatMap { Double($0) }
    }
    return nil
  }

  /// Connects, sends `request` (when given) and reads until the server closes (at most `seconds` without a byte).
  static func exchange(port: Int, _ request: String?, timeout seconds: Int = 10) throws -> String {
    let fd = try connect(port: port)
    defer { close(fd) }
    var timeout = timeval(tv_sec: seconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    if let request { _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) } }
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = recv(fd, &buffer, buffer.count, 0)
      if count <= 0 { break }
      received += buffer[..<count]
    }
    return String(decoding: received, as: UTF8.self)
  }

  /// Six idle connections the server has not (yet) refused: the refused ones are dropped and replaced.
  static func holdPlaces(_ sockets: inout [Int32], port: Int) throws {
    dropRefused(&sockets)
    while sockets.count < 6 { sockets.append(try connect(port: port)) }
  }

  /// Closes and forgets the connections in `sockets` that the server refused.
  static func dropRefused(_ sockets: inout [Int32]) {
    let refused = sockets.filter(wasAnswered)
    for socket in refused { close(socket) }
    sockets.removeAll(where: refused.contains)
  }

  /// Whether the server has written to (or closed) a connection that never sent a byte: it was refused.
  static func wasAnswered(_ socket: Int32) -> Bool {
    var byte: UInt8 = 0
    let count = recv(socket, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
    return count >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)
  }

  /// A plain TCP connection to the server that sends nothing.
  static func connect(port: Int) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessError("socket() failed") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let result = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard result == 0 else {
      close(fd)
      throw HarnessError("connect() failed")
    }
    return fd
  }
}
