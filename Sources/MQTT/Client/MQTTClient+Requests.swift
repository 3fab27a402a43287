import NIOCore

extension MQTTClient {
  /// Publishes a message. QoS 0 returns once the packet is queued for the socket; QoS 1 returns on PUBACK and
  /// QoS 2 on PUBCOMP.
  ///
  /// - Throws: ``MQTTError/notConnected`` at once while disconnected (QoS 0, or any QoS on a clean session; on a
  ///   persistent session QoS 1/2 publishes wait for the reconnect), ``MQTTError/timeout`` when no ack arrives
  ///   within ``MQTTClientConfiguration/ackTimeout``, ``MQTTError/closed`` when the connection drops first (clean
  ///   session), ``MQTTError/protocolError(_:)`` for an invalid topic.
  public func publish(topic: String, payload: ByteBuffer, qos: MQTTQoS = .atMostOnce, retain: Bool = false)
    async throws
  {
    if qos == .atMostOnce {
      guard let connection = shared.withLockedValue({ $0.connection }) else { throw MQTTError.notConnected }
      if try connection.outbox.enqueue(.publish(.init(topic: topic, payload: payload, retain: retain))) {
        await connection.outbox.waitForCapacity()
      }
      return
    }
    try validatePublishTopic(topic)
    _ = try await request(expecting: qos == .atLeastOnce ? .pubAck : .pubRec, mayWaitForReconnect: true) { id in
      .publish(.init(topic: topic, payload: payload, qos: qos, retain: retain, packetID: id))
    }
  }

  /// Publishes a UTF-8 string payload; see ``publish(topic:payload:qos:retain:)-(String,ByteBuffer,_,_)``.
  public func publish(topic: String, payload: String, qos: MQTTQoS = .atMostOnce, retain: Bool = false)
    async throws
  {
    try await publish(topic: topic, payload: ByteBuffer(string: payload), qos: qos, retain: retain)
  }

  /// Subscribes to `filters` and returns the stream of matching messages (retained ones included).
  ///
  /// The subscription is remembered: after a reconnect without a session the client subscribes again, and the
  /// returned stream keeps delivering. Called while not connected (e.g. before ``connect()``, to catch what a
  /// persistent session queued), it registers the filters and returns at once; the next connection subscribes
  /// them, and a refusal there is logged rather than thrown.
  ///
  /// - Throws: ``MQTTError/subscriptionRefused(_:)`` naming the first filter the broker refused in SUBACK,
  ///   ``MQTTError/protocolError(_:)`` for an invalid filter, ``MQTTError/notConnected``, ``MQTTError/timeout``.
  public func subscribe(_ filters: [String], qos: MQTTQoS = .atLeastOnce) async throws -> MQTTSubscription {
    try validateFilters(filters)
    let queue = SubscriptionQueue(capacity: configuration.subscriptionBufferSize)
    // Made before registering, so the queue ends when its consumer side is dropped even if confirming throws.
    let subscription = MQTTSubscription(filters: filters, queue: queue)
    let (subscriberID, deferred) = register(filters, qos: qos, sink: .stream(queue))
    queue.setOnTermination { [weak self] in
      _ = self?.shared.withLockedValue { $0.subscriptions.removeSubscriber(subscriberID) }
    }
    if deferred { return subscription }
    do {
      try await confirm(filters, qos: qos)
    } catch {
      queue.finish()
      throw error
    }
    return subscription
  }

  /// Subscribes to `filters` like ``subscribe(_:qos:)``, delivering the matching messages into `inbox`, which
  /// several subscriptions may share (their messages stay in arrival order) and whose consumer takes them in
  /// batches. The inbox's own capacity bounds it; it finishes on ``disconnect()``. A failed subscription delivers
  /// nothing more and leaves the inbox open.
  public func subscribe(_ filters: [String], qos: MQTTQoS = .atLeastOnce, into inbox: MQTTInbox) async throws {
    try validateFilters(filters)
    let (subscriberID, deferred) = register(filters, qos: qos, sink: .inbox(inbox))
    if deferred { return }
    do {
      try await confirm(filters, qos: qos)
    } catch {
      _ = shared.withLockedValue { $0.subscriptions.removeSubscriber(subscriberID) }
      throw error
    }
  }

  private func validateFilters(_ filters: [String]) throws {
    guard !filters.isEmpty else { throw MQTTError.protocolError("subscribe needs at least one topic filter") }
    for filter in filters { try validateTopicFilter(filter) }
  }

  /// Registers a local subscriber. Local first: retained messages follow SUBACK immediately. While disconnected
  /// the filters are only recorded; the next connection subscribes them (before reporting `.connected`).
  /// Returns its id and whether the filters were deferred to the next connection.
  private func register(_ filters: [String], qos: MQTTQoS, sink: SubscriptionTable.Sink) -> (Int, deferred: Bool) {
    shared.withLockedValue { state in
      let id = state.subscriptions.add(filters: filters, sink: sink)
      if state.connection == nil { state.subscriptions.recordDeferred(filters, qos: qos) }
      return (id, state.connection == nil)
    }
  }

  /// Sends SUBSCRIBE and checks SUBACK.
  private func confirm(_ filters: [String], qos: MQTTQoS) async throws {
    let reply = try await request(expecting: .subAck) { id in
      .subscribe(.init(packetID: id, filters: filters.map { .init(topicFilter: $0, qos: qos) }))
    }
    guard case .subAck(let subAck) = reply, subAck.returnCodes.count == filters.count else {
      throw MQTTError.protocolError("SUBACK does not answer every topic filter")
    }
    if let refused = zip(filters, subAck.returnCodes).first(where: { $0.1 == nil }) {
      throw MQTTError.subscriptionRefused(refused.0)
    }
    shared.withLockedValue { $0.subscriptions.recordAccepted(filters, qos: qos) }
  }

  /// Unsubscribes `filters` at the broker and forgets them for re-subscription; subscription streams left
  /// without any subscribed filter finish (an inbox, which other subscriptions may share, only stops receiving
  /// their messages).
  public func unsubscribe(_ filters: [String]) async throws {
    guard !filters.isEmpty else { return }
    for filter in filters { try validateTopicFilter(filter) }
    _ = try await request(expecting: .unsubAck) { id in .unsubscribe(.init(packetID: id, topicFilters: filters)) }
    let orphaned = shared.withLockedValue { $0.subscriptions.unsubscribed(filters) }
    for subscriber in orphaned {
      if case .stream(let queue) = subscriber.sink { queue.finish() }
    }
  }

  /// Sends a request with a fresh packet identifier and waits for its ack, the ack timeout, cancellation, or
  /// (clean session) the loss of the connection.
  func request(
    expecting expected: RequestTable.Expected, mayWaitForReconnect: Bool = false,
    _ makePacket: @escaping (UInt16) -> MQTTPacket
  ) async throws -> MQTTPacket {
    let serial = serials.add(1, ordering: .relaxed).newValue
    let deadline = NIODeadline.now() + TimeAmount(configuration.ackTimeout)
    let persistent = !configuration.cleanSession
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<MQTTPacket, any Error>) in
        var armTimer = false
        let outcome = shared.withLockedValue { state -> Result<(MQTTConnection, MQTTPacket)?, MQTTError> in
          let connection = state.connection
          guard connection != nil || (mayWaitForReconnect && persistent && state.running) else {
            return .failure(.notConnected)
          }
          guard let id = state.requests.allocateID() else {
            return .failure(.protocolError("all 65535 packet identifiers are in flight"))
          }
          let packet = makePacket(id)
          state.requests.insert(
            .init(
              expected: expected, packet: packet, sent: connection != nil, deadline: deadline, serial: serial,
              continuation: continuation), id: id)
          armTimer = !state.timeoutTimerArmed
          state.timeoutTimerArmed = true
          return .success(connection.map { ($0, packet) })
        }
        if armTimer { armTimeoutTimer(at: deadline) }
        switch outcome {
        case .failure(let error):
          continuation.resume(throwing: error)
        case .success(let send?):
          do {
            try send.0.send(send.1)
          } catch {
            if let entry = shared.withLockedValue({ $0.requests.remove(serial: serial) }) {
              entry.continuation.resume(throwing: error)
            }
          }
        case .success(nil):
          break  // queued until the reconnect re-sends it
        }
      }
    } onCancel: {
      if let entry = shared.withLockedValue({ $0.requests.remove(serial: serial) }) {
        entry.continuation.resume(throwing: CancellationError())
      }
    }
  }

  /// One timer per client, always for the earliest pending deadline: requests share one ack timeout, so a new
  /// request never needs an earlier firing than the one already armed.
  private func armTimeoutTimer(at deadline: NIODeadline) {
    eventLoop.scheduleTask(deadline: deadline) { [weak self] in
      self?.timeoutTimerFired()
    }
  }

  private func timeoutTimerFired() {
    let (expired, next) = shared.withLockedValue { state in
      let expired = state.requests.removeExpired(now: .now())
      let next = state.requests.earliestDeadline
      state.timeoutTimerArmed = next != nil
      return (expired, next)
    }
    for entry in expired { entry.continuation.resume(throwing: MQTTError.timeout) }
    if let next { armTimeoutTimer(at: next) }
  }

  /// Packets from the current connection's handler, on its event loop.
  func received(_ packet: MQTTPacket) {
    switch packet {
    case .publish(let publish):
      let message = MQTTMessage(
        topic: publish.topic, payload: publish.payload, qos: publish.qos, retain: publish.retain)
      let recipients = shared.withLockedValue { $0.subscriptions.recipients(of: publish.topic) }
      for recipient in recipients {
        if !recipient.deliver(message) {
          dropped.add(1, ordering: .relaxed)
          logger.warning(
            "subscription buffer full: dropped the oldest message", metadata: ["topic": "\(publish.topic)"])
        }
      }
    case .ack(let ack):
      let expected: RequestTable.Expected
      switch ack.kind {
      case .pubAck: expected = .pubAck
      case .pubRec: expected = .pubRec
      case .pubComp: expected = .pubComp
      case .unsubAck: expected = .unsubAck
      case .pubRel: return
      }
      complete(ack.packetID, as: expected, with: packet)
    case .subAck(let subAck):
      complete(subAck.packetID, as: .subAck, with: packet)
    default:
      break
    }
  }

  private func complete(_ id: UInt16, as expected: RequestTable.Expected, with packet: MQTTPacket) {
    let (outcome, connection) = shared.withLockedValue { ($0.requests.acknowledge(id, as: expected), $0.connection) }
    switch outcome {
    case .completed(let entry):
      entry.continuation.resume(returning: packet)
    case .sendPubRel(let id):
      try? connection?.send(.ack(.init(kind: .pubRel, packetID: id)))
    case .ignored:
      logger.debug("ignoring an acknowledgement nobody waits for", metadata: ["packetID": "\(id)"])
    }
  }
}
