import NIOCore
import NIOPosix
import Synchronization

/// Counts occurrences of one byte pattern in a stream read in arbitrary pieces (a match may span two reads).
struct PatternCounter {
  let pattern: [UInt8]
  private var matched = 0

  init(_ text: String) { pattern = Array(text.utf8) }

  /// Feeds bytes; returns how many matches they completed.
  mutating func feed(_ bytes: ByteBufferView) -> Int {
    var found = 0
    for byte in bytes {
      // The patterns used here have no repeated prefix, so a mismatch restarts at 0 or 1.
      if byte == pattern[matched] {
        matched += 1
      } else {
        matched = byte == pattern[0] ? 1 : 0
      }
      if matched == pattern.count {
        found += 1
        matched = 0
      }
    }
    return found
  }
}

/// Where stream probes report: per-probe match counts, and for the current round the arrival time of the
/// expected match on every probe. Probes call in from event loops; the bench awaits a round's completion.
final class ProbeBoard: Sendable {
  private struct State {
    var seen: [Int]
    var ready: [Bool]
    var target = Int.max
    var start = ContinuousClock.now
    var remaining = 0
    var latencies = LatencySeries()
    var waiter: CheckedContinuation<Void, Never>?
    var total = 0
    var totalWaiter: (threshold: Int, continuation: CheckedContinuation<Void, Never>)?
    var aborted = false
    var ended = 0
  }

  private let state: Mutex<State>

  init(probes: Int) {
    state = Mutex(State(seen: Array(repeating: 0, count: probes), ready: Array(repeating: false, count: probes)))
  }

  var readyCount: Int { state.withLock { $0.ready.count { $0 } } }
  var isAborted: Bool { state.withLock { $0.aborted } }
  /// Probes whose stream ended or whose connection closed.
  var endedCount: Int { state.withLock { $0.ended } }

  func markEnded(_ probe: Int) { state.withLock { $0.ended += 1 } }

  /// Gives up: wakes every waiter now and every later one at once (the caller checks ``isAborted``).
  func abort() {
    let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
      state.aborted = true
      let waiters = [state.waiter, state.totalWaiter?.continuation].compactMap { $0 }
      state.waiter = nil
      state.totalWaiter = nil
      return waiters
    }
    for waiter in waiters { waiter.resume() }
  }

  /// Aborts the board unless `body` finishes within `limit`; throws when it was aborted.
  func within<T>(_ limit: Duration, _ what: String, _ body: () async throws -> T) async throws -> T {
    let watchdog = Task { [weak self] in
      try await Task.sleep(for: limit)
      self?.abort()
    }
    defer { watchdog.cancel() }
    let value = try await body()
    if isAborted { throw RawHTTPClient.Failure(description: "timed out after \(limit): \(what)") }
    return value
  }
  var total: Int { state.withLock { $0.total } }
  var latencies: LatencySeries { state.withLock { $0.latencies } }

  /// The latencies so far, clearing them (the next rounds start a new series).
  func takeLatencies() -> LatencySeries {
    state.withLock { state in
      defer { state.latencies = LatencySeries() }
      return state.latencies
    }
  }

  func markReady(_ probe: Int) { state.withLock { $0.ready[probe] = true } }

  /// A probe saw `count` more matches.
  func saw(_ probe: Int, count: Int, at now: ContinuousClock.Instant) {
    let resume = state.withLock { state -> [CheckedContinuation<Void, Never>] in
      var resume: [CheckedContinuation<Void, Never>] = []
      let before = state.seen[probe]
      state.seen[probe] += count
      state.total += count
      if before < state.target && state.seen[probe] >= state.target {
        state.latencies.append(now - state.start)
        state.remaining -= 1
        if state.remaining == 0, let waiter = state.waiter {
          state.waiter = nil
          resume.append(waiter)
        }
      }
      if let waiter = state.totalWaiter, state.total >= waiter.threshold {
        state.totalWaiter = nil
        resume.append(waiter.continuation)
      }
      return resume
    }
    for continuation in resume { continuation.resume() }
  }

  /// Starts a round: every probe is expected to reach one more match than it has now; `start` is the cause's time.
  func arm(start: ContinuousClock.Instant) {
    state.withLock { state in
      state.target = (state.seen.max() ?? 0) + 1
      state.start = start
      state.remaining = state.seen.count { $0 < state.target }
    }
  }

  /// Waits until every probe reached the armed target.
  func waitForRound() async {
    await withCheckedContinuation { continuation in
      let done = state.withLock { state -> Bool in
        if state.remaining <= 0 || state.aborted { return true }
        state.waiter = continuation
        return false
      }
      if done { continuation.resume() }
    }
  }

  /// ``waitForRound()`` for at most `limit`; false when some probe had not reached the target by then (the cause
  /// was lost on the way, or a stream ended).
  func waitForRound(within limit: Duration) async -> Bool {
    let timer = Task { [weak self] in
      guard (try? await Task.sleep(for: limit)) != nil else { return }
      let waiter = self?.state.withLock { state in
        defer { state.waiter = nil }
        return state.waiter
      }
      waiter?.resume()
    }
    await waitForRound()
    timer.cancel()
    return state.withLock { $0.remaining <= 0 }
  }

  /// After a lost round: every probe counts as having seen as many matches as the furthest one, so the next round
  /// expects one more from each. Returns how many probes missed the round.
  func resync() -> Int {
    state.withLock { state in
      let furthest = state.seen.max() ?? 0
      let missed = state.seen.count { $0 < furthest }
      state.seen = state.seen.map { _ in furthest }
      state.remaining = 0
      return missed
    }
  }

  /// Waits until all probes together saw at least `threshold` matches.
  func waitForTotal(_ threshold: Int) async {
    await withCheckedContinuation { continuation in
      let done = state.withLock { state -> Bool in
        if state.total >= threshold || state.aborted { return true }
        state.totalWaiter = (threshold, continuation)
        return false
      }
      if done { continuation.resume() }
    }
  }
}

/// One raw-socket reader of `GET /api/v1/realtime/stream`: no HTTP or SSE parsing, it only counts a marker of
/// live `status` frames and timestamps them as they are read.
enum StreamProbe {
  /// Present once in every `status` frame caused by a device report (snapshots say `"snapshot"`).
  static let liveStatusMarker = "\"reportSource\":\"tasmota_"

  /// With `counting` false the probe only reports its `hello` and then discards what it reads: a reader that
  /// keeps up at the least cost to the bench process (the load phases measure the server, not the probes).
  static func open(
    index: Int, board: ProbeBoard, host: String, port: Int, token: String, group: any EventLoopGroup,
    counting: Bool = true
  ) async throws -> any Channel {
    let channel = try await ClientBootstrap(group: group)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(Handler(index: index, board: board, counting: counting))
        }
      }
      .connect(host: host, port: port).get()
    try await channel.writeAndFlush(ByteBuffer(string: streamRequest(host: host, port: port, token: token)))
    return channel
  }

  static func streamRequest(host: String, port: Int, token: String) -> String {
    "GET /api/v1/realtime/stream HTTP/1.1\r\nHost: \(host):\(port)\r\nAuthorization: Bearer \(token)\r\n"
      + "Accept: text/event-stream\r\n\r\n"
  }

  /// A stream whose client never reads a byte after its request: a small receive buffer fills at once, then the
  /// server's socket buffer, then the hub's buffer for it, and the hub drops it.
  static func openStalled(
    host: String, port: Int, token: String, group: any EventLoopGroup, index: Int
  ) async throws -> any Channel {
    let channel = try await ClientBootstrap(group: group)
      .channelOption(.autoRead, value: false)
      .channelOption(.socketOption(.so_rcvbuf), value: 4096)
      .connect(host: host, port: port).get()
    try await channel.writeAndFlush(ByteBuffer(string: streamRequest(host: host, port: port, token: token)))
    return channel
  }

  final class Handler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let index: Int
    let board: ProbeBoard
    var live = PatternCounter(StreamProbe.liveStatusMarker)
    var hello = PatternCounter("\"hello\"")
    var end = PatternCounter("\r\n0\r\n\r\n")
    var isReady = false
    let counting: Bool

    init(index: Int, board: ProbeBoard, counting: Bool) {
      self.index = index
      self.board = board
      self.counting = counting
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      let now = ContinuousClock.now
      let bytes = unwrapInboundIn(data).readableBytesView
      if !isReady, hello.feed(bytes) > 0 {
        isReady = true
        board.markReady(index)
      }
      guard counting else { return }
      let found = live.feed(bytes)
      if found > 0 { board.saw(index, count: found, at: now) }
      // The end of a chunked body: the server ended the stream (e.g. dropped it for falling behind).
      if end.feed(bytes) > 0 { board.markEnded(index) }
    }

    func channelInactive(context: ChannelHandlerContext) {
      board.markEnded(index)
      context.fireChannelInactive()
    }
  }
}
