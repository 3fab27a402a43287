/// Local subscribers (each an ``MQTTSubscription`` stream or an ``MQTTInbox``, with its own filters) and the
/// broker-side filter set that is re-subscribed after a reconnect without a session.
struct SubscriptionTable {
  /// Where a subscriber's messages go.
  enum Sink {
    case stream(SubscriptionQueue)
    /// Possibly shared by several subscriptions: finished only when the client stops.
    case inbox(MQTTInbox)

    /// Queues a message; false when the oldest queued message was dropped to make room.
    func deliver(_ message: MQTTMessage) -> Bool {
      switch self {
      case .stream(let queue):
        return queue.deliver(message)
      case .inbox(let inbox):
        return inbox.deliver(message)
      }
    }

    func finish() {
      switch self {
      case .stream(let queue): queue.finish()
      case .inbox(let inbox): inbox.finish()
      }
    }
  }

  struct Subscriber {
    var filters: [String]
    var sink: Sink
  }

  private(set) var subscribers: [Int: Subscriber] = [:]
  /// Filters the broker has accepted, with the QoS we asked for.
  private(set) var brokerFilters: [String: MQTTQoS] = [:]
  /// Filters registered while disconnected, not yet confirmed by a SUBACK.
  private(set) var deferredFilters: Set<String> = []
  private var nextID = 0

  mutating func add(filters: [String], sink: Sink) -> Int {
    nextID += 1
    subscribers[nextID] = Subscriber(filters: filters, sink: sink)
    return nextID
  }

  mutating func removeSubscriber(_ id: Int) -> Subscriber? {
    subscribers.removeValue(forKey: id)
  }

  /// Forgets everything (after disconnect()) and returns the subscribers to finish.
  mutating func reset() -> [Subscriber] {
    // nextID keeps counting, so a late onTermination of an old stream never removes a new subscriber.
    defer {
      subscribers.removeAll()
      brokerFilters.removeAll()
      deferredFilters.removeAll()
    }
    return Array(subscribers.values)
  }

  mutating func recordAccepted(_ filters: [String], qos: MQTTQoS) {
    for filter in filters {
      brokerFilters[filter] = max(qos, brokerFilters[filter] ?? .atMostOnce)
      deferredFilters.remove(filter)
    }
  }

  mutating func recordDeferred(_ filters: [String], qos: MQTTQoS) {
    for filter in filters {
      brokerFilters[filter] = max(qos, brokerFilters[filter] ?? .atMostOnce)
      deferredFilters.insert(filter)
    }
  }

  /// What to SUBSCRIBE on a new connection: everything when the broker kept no session, else what was deferred.
  func filtersToSubscribe(sessionPresent: Bool) -> [String: MQTTQoS] {
    sessionPresent ? brokerFilters.filter { deferredFilters.contains($0.key) } : brokerFilters
  }

  /// Forgets `filters` broker-side and returns the subscribers left with none of their filters, to finish them.
  mutating func unsubscribed(_ filters: [String]) -> [Subscriber] {
    for filter in filters {
      brokerFilters[filter] = nil
      deferredFilters.remove(filter)
    }
    let orphaned = subscribers.filter { $0.value.filters.allSatisfy { !brokerFilters.keys.contains($0) } }
    for id in orphaned.keys { subscribers[id] = nil }
    return Array(orphaned.values)
  }

  /// The sinks that want a message on `topic` (each once, however many of its filters match).
  func recipients(of topic: String) -> [Sink] {
    subscribers.values.compactMap { subscriber in
      subscriber.filters.contains { mqttTopic(topic, matches: $0) } ? subscriber.sink : nil
    }
  }
}
