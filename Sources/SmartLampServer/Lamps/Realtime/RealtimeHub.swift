import SmartLampCore
import Synchronization

/// One fan-out per process (CONTRACT §8). Every event gets a sequence number, is kept in a short replay buffer for
/// `Last-Event-ID` resumes, and goes to each subscriber that may see its device. Each subscriber has a bounded
/// buffer: when it is full the subscriber is dropped (its stream ends, the client reconnects and resumes), so one
/// slow client never slows the others. Publishing never waits.
final class RealtimeHub: Sendable {
  /// One frame to send: `id` is the hub position, `device` the internal id it concerns (nil: everyone).
  struct Event: Sendable, Hashable {
    let id: UInt64
    let device: Int64?
    let json: String
    /// Only for streams of principals that may administer devices (the discovery inbox).
    var adminsOnly = false
  }

  /// Who a stream belongs to, for visibility and session checks.
  struct Owner: Sendable {
    let principal: Principal
    let sessionID: Int64?
  }

  struct Subscription: Sendable {
    let id: Int
    /// The subscriber's events; its stream takes them in batches (RealtimeMailbox.swift). The stream's end must call
    /// ``close(_:)``, which forgets the subscriber.
    let events: RealtimeMailbox
    /// Events missed since `Last-Event-ID`, or nil when they are no longer buffered (send a snapshot instead).
    let replay: [Event]?
    /// The hub position at subscription: frames of the snapshot carry it as their id.
    let position: UInt64
    /// Forgets the subscriber once the last copy of this subscription is gone, even if its stream never ran.
    let lifetime: Lifetime
  }

  /// Closes a subscription and gives back its quota place when released: a response whose body never ran (the
  /// client left before the head was written) must not leave a subscriber behind.
  final class Lifetime: Sendable {
    let hub: RealtimeHub
    let id: Int

    init(hub: RealtimeHub, id: Int) {
      self.hub = hub
      self.id = id
    }

    deinit {
      hub.close(id)
      hub.quota.release(id)
    }
  }

  /// A class, not a struct: `publish` looks at every subscriber for every event, and copying a struct out of the
  /// dictionary retained each of its fields, which took most of the server's time with 10 000 streams open (issue
  /// #10, docs/PERFORMANCE.md); a reference is retained once.
  fileprivate final class Subscriber {
    let mailbox: RealtimeMailbox
    var visible: Set<Int64>
    let owner: Owner
    /// May see admin-only events (decided once: a demoted admin's stream is closed by the session checks).
    let administers: Bool

    init(mailbox: RealtimeMailbox, visible: Set<Int64>, owner: Owner, administers: Bool) {
      self.mailbox = mailbox
      self.visible = visible
      self.owner = owner
      self.administers = administers
    }

    func sees(_ event: Event) -> Bool {
      (event.device.map(visible.contains) ?? true) && (!event.adminsOnly || administers)
    }
  }

  fileprivate struct State {
    var nextID: UInt64 = 0
    var replay: [Event] = []
    var replayStart = 0
    var subscribers: [Int: Subscriber] = [:]
    var nextSubscriber = 0
    var dropped = 0
  }

  let replayCapacity: Int
  let subscriberCapacity: Int
  /// How many streams one session and one person may hold (RealtimeStreamQuota.swift).
  let quota: RealtimeStreamQuota
  private let state = Mutex(State())

  init(
    replayCapacity: Int = 2048, subscriberCapacity: Int = 512,
    streamLimits: RealtimeStreamQuota.Limits = .init(perSession: 0, perPerson: 0)
  ) {
    self.replayCapacity = max(1, replayCapacity)
    self.subscriberCapacity = max(1, subscriberCapacity)
    self.quota = RealtimeStreamQuota(limits: streamLimits)
  }

  /// Registers a subscriber that sees `visible` devices. With `lastEventID`, also returns the buffered events after
  /// it that the subscriber may see (atomically with the registration, so nothing falls between).
  func subscribe(visible: Set<Int64>, owner: Owner, lastEventID: UInt64?, capacity: Int? = nil) -> Subscription {
    let events = RealtimeMailbox(capacity: capacity ?? subscriberCapacity)
    let (id, replay, position) = state.withLock { state -> (Int, [Event]?, UInt64) in
      state.nextSubscriber += 1
      let id = state.nextSubscriber
      let subscriber = Subscriber(
        mailbox: events, visible: visible, owner: owner,
        administers: Authorization.check(.discovery, principal: owner.principal) == .allowed)
      state.subscribers[id] = subscriber
      var replay: [Event]?
      if let lastEventID, lastEventID <= state.nextID {
        let buffered = state.orderedReplay
        let oldest = buffered.first?.id ?? state.nextID + 1
        // Resumable when nothing after lastEventID has been evicted yet.
        if lastEventID + 1 >= oldest || lastEventID == state.nextID {
          replay = buffered.filter { $0.id > lastEventID && subscriber.sees($0) }
        }
      }
      return (id, replay, state.nextID)
    }
    return Subscription(
      id: id, events: events, replay: replay, position: position, lifetime: Lifetime(hub: self, id: id))
  }

  /// Publishes an event about `device` (nil: for everyone; with `adminsOnly`, for administrators only) to every
  /// subscriber that sees it.
  @discardableResult
  func publish(device: Int64?, json: String, adminsOnly: Bool = false) -> UInt64 {
    let (id, dropped) = state.withLock { state -> (UInt64, [RealtimeMailbox]) in
      var dropped: [RealtimeMailbox] = []
      state.nextID += 1
      let event = Event(id: state.nextID, device: device, json: json, adminsOnly: adminsOnly)
      if state.replay.count < replayCapacity {
        state.replay.append(event)
      } else {
        state.replay[state.replayStart] = event
        state.replayStart = (state.replayStart + 1) % replayCapacity
      }
      // Yielding under the lock keeps every subscriber's order equal to the id order; yield never blocks.
      for (id, subscriber) in state.subscribers where subscriber.sees(event) {
        if !subscriber.mailbox.yield(event) {
          dropped += state.drop(id)
        }
      }
      return (event.id, dropped)
    }
    // Finishing wakes the stream's task: outside the lock.
    for mailbox in dropped { mailbox.finish() }
    return id
  }

  /// Sends a frame to one subscriber only (not replayed), with the current position as its id.
  func send(to subscriber: Int, json: String) {
    let dropped = state.withLock { state -> [RealtimeMailbox] in
      guard let target = state.subscribers[subscriber] else { return [] }
      if !target.mailbox.yield(Event(id: state.nextID, device: nil, json: json)) {
        return state.drop(subscriber)
      }
      return []
    }
    for mailbox in dropped { mailbox.finish() }
  }

  /// Sends a frame to every subscriber (pings), not replayed.
  func broadcast(json: String) {
    let dropped = state.withLock { state -> [RealtimeMailbox] in
      let event = Event(id: state.nextID, device: nil, json: json)
      var dropped: [RealtimeMailbox] = []
      for (id, subscriber) in state.subscribers {
        if !subscriber.mailbox.yield(event) { dropped += state.drop(id) }
      }
      return dropped
    }
    for mailbox in dropped { mailbox.finish() }
  }

  /// Changes what a subscriber sees; returns the devices that became visible, or nil when nothing changed.
  func updateVisible(_ subscriber: Int, to visible: Set<Int64>) -> Set<Int64>? {
    state.withLock { state in
      guard let target = state.subscribers[subscriber], target.visible != visible else { return nil }
      let added = visible.subtracting(target.visible)
      target.visible = visible
      return added
    }
  }

  /// Ends a subscriber's stream (revoked session).
  func close(_ subscriber: Int) {
    let mailbox = state.withLock { $0.subscribers.removeValue(forKey: subscriber)?.mailbox }
    mailbox?.finish()
  }

  /// Every open subscription with its owner, for the periodic visibility and session checks.
  func owners() -> [(id: Int, owner: Owner)] {
    state.withLock { state in state.subscribers.map { (id: $0.key, owner: $0.value.owner) } }
  }

  var subscriberCount: Int { state.withLock { $0.subscribers.count } }
  /// How many subscribers were dropped for falling behind.
  var droppedCount: Int { state.withLock { $0.dropped } }
  var position: UInt64 { state.withLock { $0.nextID } }
}

extension RealtimeHub.State {
  fileprivate var orderedReplay: [RealtimeHub.Event] {
    Array(replay[replayStart...] + replay[..<replayStart])
  }

  /// Forgets a subscriber that fell behind; the caller finishes the returned mailbox outside the lock.
  fileprivate mutating func drop(_ id: Int) -> [RealtimeMailbox] {
    guard let subscriber = subscribers.removeValue(forKey: id) else { return [] }
    dropped += 1
    return [subscriber.mailbox]
  }
}
