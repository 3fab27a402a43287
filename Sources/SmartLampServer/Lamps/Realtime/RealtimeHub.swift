import NIOCore
import SmartLampCore
import Synchronization

/// One fan-out per process (CONTRACT §8). Every event gets a sequence number, is kept in a short replay buffer for
/// `Last-Event-ID` resumes, and goes to each subscriber that may see its device. Each subscriber has a bounded
/// buffer: when it is full the subscriber is dropped (its stream ends, the client reconnects and resumes), so one
/// slow client never slows the others. Publishing never waits.
///
/// An event about a device visits only the subscribers that may see that device (``State/byDevice``) and those that
/// see so many devices that indexing them would cost more than asking them (``State/wide``: an administrator sees
/// every lamp); with 10 000 household streams open, a report of one lamp visits its household's streams, not all.
final class RealtimeHub: Sendable {
  /// One frame to send: `id` is the hub position, `device` the internal id it concerns (nil: everyone). A class:
  /// every stream that sees it queues the same reference (one retain), not a copy of its fields.
  final class Event: Sendable, Hashable {
    let id: UInt64
    let device: Int64?
    let json: String
    /// Only for streams of principals that may administer devices (the discovery inbox).
    let adminsOnly: Bool
    /// The SSE frame (`id:` and `data:` lines), encoded once and shared by every stream that writes it: with 1 000
    /// streams open, formatting it per stream cost as much as the event itself.
    let frame: ByteBuffer

    init(id: UInt64, device: Int64?, json: String, adminsOnly: Bool = false) {
      self.id = id
      self.device = device
      self.json = json
      self.adminsOnly = adminsOnly
      self.frame = ByteBuffer(string: "id: \(id)\ndata: \(json)\n\n")
    }

    static func == (lhs: Event, rhs: Event) -> Bool {
      (lhs.id, lhs.device, lhs.json, lhs.adminsOnly) == (rhs.id, rhs.device, rhs.json, rhs.adminsOnly)
    }

    func hash(into hasher: inout Hasher) {
      hasher.combine(id)
      hasher.combine(json)
    }
  }

  /// Subscribers that see more devices than this are not indexed by device but asked for every event.
  static let indexedDeviceLimit = 64

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
    let id: Int
    let mailbox: RealtimeMailbox
    var visible: Set<Int64>
    let owner: Owner
    /// May see admin-only events (decided once: a demoted admin's stream is closed by the session checks).
    let administers: Bool
    /// In ``State/wide`` rather than in ``State/byDevice`` under each visible device.
    var isWide = false

    init(id: Int, mailbox: RealtimeMailbox, visible: Set<Int64>, owner: Owner, administers: Bool) {
      self.id = id
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
    /// Subscribers seeing at most ``RealtimeHub/indexedDeviceLimit`` devices, under each device they see.
    var byDevice: [Int64: [Int: Subscriber]] = [:]
    /// Subscribers seeing more: every event about a device asks each of them (an array: iterated per event).
    var wide: [Subscriber] = []
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
        id: id, mailbox: events, visible: visible, owner: owner,
        administers: Authorization.check(.discovery, principal: owner.principal) == .allowed)
      state.subscribers[id] = subscriber
      state.index(id, subscriber)
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
    let (id, wake, dropped) = state.withLock {
      state -> (UInt64, [CheckedContinuation<Void, Never>], [RealtimeMailbox]) in
      state.nextID += 1
      let event = Event(id: state.nextID, device: device, json: json, adminsOnly: adminsOnly)
      if state.replay.count < replayCapacity {
        state.replay.append(event)
      } else {
        state.replay[state.replayStart] = event
        state.replayStart = (state.replayStart + 1) % replayCapacity
      }
      // Queueing under the lock keeps every subscriber's order equal to the id order; offering never blocks.
      var delivery = Delivery(event: event)
      if let device {
        if let interested = state.byDevice[device] {
          for (id, subscriber) in interested { delivery.offer(to: id, subscriber) }
        }
        for subscriber in state.wide { delivery.offer(to: subscriber.id, subscriber) }
      } else {
        for (id, subscriber) in state.subscribers { delivery.offer(to: id, subscriber) }
      }
      return (event.id, delivery.wake, delivery.full.flatMap { state.drop($0) })
    }
    // Waking a stream's task and finishing a dropped one are done outside the lock.
    for continuation in wake { continuation.resume() }
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
    let (wake, dropped) = state.withLock { state -> ([CheckedContinuation<Void, Never>], [RealtimeMailbox]) in
      var delivery = Delivery(event: Event(id: state.nextID, device: nil, json: json))
      for (id, subscriber) in state.subscribers { delivery.offer(to: id, subscriber, checked: false) }
      return (delivery.wake, delivery.full.flatMap { state.drop($0) })
    }
    for continuation in wake { continuation.resume() }
    for mailbox in dropped { mailbox.finish() }
  }

  /// Changes what a subscriber sees; returns the devices that became visible, or nil when nothing changed.
  func updateVisible(_ subscriber: Int, to visible: Set<Int64>) -> Set<Int64>? {
    state.withLock { state in
      guard let target = state.subscribers[subscriber], target.visible != visible else { return nil }
      let added = visible.subtracting(target.visible)
      state.unindex(subscriber, target)
      target.visible = visible
      state.index(subscriber, target)
      return added
    }
  }

  /// Ends a subscriber's stream (revoked session).
  func close(_ subscriber: Int) {
    let mailbox = state.withLock { state -> RealtimeMailbox? in
      guard let removed = state.subscribers.removeValue(forKey: subscriber) else { return nil }
      state.unindex(subscriber, removed)
      return removed.mailbox
    }
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

  /// The subscribers an event about `device` visits (not yet filtered by what each may see), for tests of the index.
  func candidates(for device: Int64) -> Set<Int> {
    state.withLock { state in
      var ids = Set(state.wide.map(\.id))
      if let narrow = state.byDevice[device] { ids.formUnion(narrow.keys) }
      return ids
    }
  }
}

/// One event on its way to the subscribers that see it: the tasks to wake and the subscribers found full, both dealt
/// with once the hub's lock is released.
private struct Delivery {
  let event: RealtimeHub.Event
  var wake: [CheckedContinuation<Void, Never>] = []
  var full: [Int] = []

  init(event: RealtimeHub.Event) { self.event = event }

  mutating func offer(to id: Int, _ subscriber: RealtimeHub.Subscriber, checked: Bool = true) {
    guard !checked || subscriber.sees(event) else { return }
    switch subscriber.mailbox.offer(event) {
    case .queued: break
    case .queuedWaking(let continuation): wake.append(continuation)
    case .refused: full.append(id)
    }
  }
}

extension RealtimeHub.State {
  fileprivate var orderedReplay: [RealtimeHub.Event] {
    Array(replay[replayStart...] + replay[..<replayStart])
  }

  /// Forgets a subscriber that fell behind; the caller finishes the returned mailbox outside the lock.
  fileprivate mutating func drop(_ id: Int) -> [RealtimeMailbox] {
    guard let subscriber = subscribers.removeValue(forKey: id) else { return [] }
    unindex(id, subscriber)
    dropped += 1
    return [subscriber.mailbox]
  }

  /// Files a subscriber under each device it sees, or among the wide ones.
  fileprivate mutating func index(_ id: Int, _ subscriber: RealtimeHub.Subscriber) {
    subscriber.isWide = subscriber.visible.count > RealtimeHub.indexedDeviceLimit
    if subscriber.isWide {
      wide.append(subscriber)
    } else {
      for device in subscriber.visible { byDevice[device, default: [:]][id] = subscriber }
    }
  }

  /// Undoes ``index(_:_:)`` for the subscriber's current visible set.
  fileprivate mutating func unindex(_ id: Int, _ subscriber: RealtimeHub.Subscriber) {
    if subscriber.isWide {
      wide.removeAll { $0 === subscriber }
      return
    }
    for device in subscriber.visible {
      byDevice[device]?[id] = nil
      if byDevice[device]?.isEmpty == true { byDevice[device] = nil }
    }
  }
}
