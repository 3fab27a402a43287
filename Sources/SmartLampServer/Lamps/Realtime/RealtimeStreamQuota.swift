import SmartLampCore
import Synchronization

/// Caps the realtime streams one login session (or API key) and one person hold open (issue #10: one signed-in
/// person could hold 3 000 streams and every descriptor of the process). Past a cap the OLDEST stream of that
/// session or person is closed — it gets a final `closed` frame with reason `STREAM_LIMIT` — and the new one opens.
/// Closing the oldest rather than refusing the newest means a person whose phone left streams behind (a tab put to
/// sleep, a dropped Wi-Fi whose socket the server has not yet noticed) is never locked out of their own house.
final class RealtimeStreamQuota: Sendable {
  struct Limits: Sendable {
    /// 0: no cap.
    var perSession: Int
    var perPerson: Int
  }

  /// Who holds a stream: the session (or API key) and the person (user, or a key's owner) it counts against.
  struct Holder: Sendable, Hashable {
    let session: String
    let person: String

    init(principal: Principal, sessionID: Int64?) {
      switch principal {
      case .user(let user): session = sessionID.map { "session:\($0)" } ?? "user:\(user.id)"
      case .apiKey(let key): session = "client:\(key.clientId)"
      }
      person = principal.effectiveUserId.map { "user:\($0)" } ?? principal.key
    }
  }

  fileprivate struct State {
    /// Open streams per key, oldest first (streams are admitted in id order, so ids sort by age).
    var bySession: [String: [Int]] = [:]
    var byPerson: [String: [Int]] = [:]
    var holders: [Int: Holder] = [:]
    var closedForSession = 0
    var closedForPerson = 0
  }

  let limits: Limits
  private let state = Mutex(State())

  init(limits: Limits) {
    self.limits = limits
  }

  /// Counts stream `id` for `holder`; returns the streams to close to stay within the caps (oldest first).
  func admit(_ id: Int, holder: Holder) -> [Int] {
    state.withLock { state in
      state.holders[id] = holder
      state.bySession[holder.session, default: []].append(id)
      state.byPerson[holder.person, default: []].append(id)
      var evicted: [Int] = []
      if limits.perSession > 0 {
        while let streams = state.bySession[holder.session], streams.count > limits.perSession {
          evicted.append(streams[0])
          state.forget(streams[0])
          state.closedForSession += 1
        }
      }
      if limits.perPerson > 0 {
        while let streams = state.byPerson[holder.person], streams.count > limits.perPerson {
          evicted.append(streams[0])
          state.forget(streams[0])
          state.closedForPerson += 1
        }
      }
      return evicted
    }
  }

  /// Stops counting a stream that ended (a no-op for one already evicted).
  func release(_ id: Int) {
    state.withLock { $0.forget(id) }
  }

  func openStreams(person: String) -> Int { state.withLock { $0.byPerson[person]?.count ?? 0 } }
  /// Streams closed for a cap since start.
  var closedCount: Int { state.withLock { $0.closedForSession + $0.closedForPerson } }
  /// Streams closed since start because their session held too many (a stream over both caps counts here).
  var closedForSessionCount: Int { state.withLock { $0.closedForSession } }
  /// Streams closed since start because their person held too many across sessions.
  var closedForPersonCount: Int { state.withLock { $0.closedForPerson } }
  var trackedStreams: Int { state.withLock { $0.holders.count } }
}

extension RealtimeStreamQuota.State {
  fileprivate mutating func forget(_ id: Int) {
    guard let holder = holders.removeValue(forKey: id) else { return }
    Self.remove(id, key: holder.session, from: &bySession)
    Self.remove(id, key: holder.person, from: &byPerson)
  }

  private static func remove(_ id: Int, key: String, from table: inout [String: [Int]]) {
    guard var streams = table[key] else { return }
    streams.removeAll { $0 == id }
    table[key] = streams.isEmpty ? nil : streams
  }
}

extension RealtimeEvent {
  /// The last frame of a stream the server ends on purpose; `reason` is a stable code.
  struct Closed: Encodable {
    let type = "closed"
    let reason: String
    let message: String
    let ts: Int64

    static func streamLimit() -> Closed {
      Closed(
        reason: "STREAM_LIMIT", message: "Too many open live streams for this session or account; the oldest closed",
        ts: RealtimeEvent.now())
    }
  }
}

extension RealtimeHub {
  /// Closes streams evicted by the quota, each after its final `closed` frame (finishing keeps what was queued).
  func closeForLimit(_ subscribers: [Int]) {
    guard !subscribers.isEmpty else { return }
    let json = RealtimeEvent.json(RealtimeEvent.Closed.streamLimit())
    for subscriber in subscribers {
      send(to: subscriber, json: json)
      close(subscriber)
    }
  }
}
