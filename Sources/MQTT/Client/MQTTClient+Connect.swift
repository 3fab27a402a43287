import Logging
import NIOCore
import NIOSSL

extension MQTTClient {
  /// Connects and returns once the broker has accepted CONNACK (and, if it kept no session, our earlier
  /// subscriptions are re-established). From then on the client reconnects by itself until ``disconnect()``.
  ///
  /// - Throws: ``MQTTError/connectionRefused(_:)`` with the CONNACK code (e.g. `.notAuthorized` for a wrong
  ///   password on Mosquitto), ``MQTTError/timeout`` after ``MQTTClientConfiguration/connectTimeout``, or
  ///   ``MQTTError/transportError(_:)`` when TCP, TLS or the WebSocket upgrade fails. No reconnect is attempted.
  public func connect() async throws {
    let generation = shared.withLockedValue { state -> Int? in
      if state.running && state.connection != nil { return nil }
      state.supervisor?.cancel()
      state.supervisor = nil
      state.running = false
      state.generation += 1
      state.setStatus(.connecting)
      return state.generation
    }
    guard let generation else { return }
    do {
      let (connection, connAck) = try await establish()
      guard shared.withLockedValue({ $0.generation == generation }) else {
        connection.abort()
        throw MQTTError.closed
      }
      do {
        try await activate(connection, connAck: connAck)
      } catch {
        deactivate(connection)
        throw error
      }
      shared.withLockedValue { state in
        state.running = true
        state.supervisor = Task { await self.supervise(connection, generation: generation) }
      }
    } catch {
      let error = error as? MQTTError ?? .transportError(describe(error))
      shared.withLockedValue { state in
        if state.generation == generation { state.setStatus(.disconnected(reason: error.description)) }
      }
      throw error
    }
  }

  /// Sends DISCONNECT (the broker then drops our Will), closes the connection, stops reconnecting, fails
  /// requests still waiting with ``MQTTError/closed`` and finishes every subscription stream.
  public func disconnect() async {
    let (connection, supervisor, requests, subscribers) = shared.withLockedValue { state in
      state.generation += 1
      state.running = false
      let result = (
        state.connection, state.supervisor, state.requests.removeAll { _ in true },
        state.subscriptions.reset()
      )
      state.connection = nil
      state.supervisor = nil
      state.setStatus(.disconnected(reason: "disconnected by the client"))
      return result
    }
    supervisor?.cancel()
    for entry in requests { entry.continuation.resume(throwing: MQTTError.closed) }
    for subscriber in subscribers { subscriber.sink.finish() }
    await connection?.disconnect()
  }

  /// Test hook: drops the connection without DISCONNECT, as a network failure would.
  func simulateConnectionLoss() {
    shared.withLockedValue { $0.connection }?.abort()
  }

  /// Opens a connection with our CONNECT packet; does not touch the session state.
  func establish() async throws(MQTTError) -> (MQTTConnection, MQTTPacket.ConnAck) {
    let sslContext = try makeSSLContextIfNeeded()
    let keepAliveSeconds: UInt16
    if configuration.keepAlive <= .zero {
      keepAliveSeconds = 0
    } else {
      let (seconds, attoseconds) = configuration.keepAlive.components
      keepAliveSeconds = UInt16(clamping: max(1, seconds + (attoseconds > 0 ? 1 : 0)))
    }
    let connect = MQTTPacket.Connect(
      clientID: configuration.clientID, cleanSession: configuration.cleanSession,
      keepAliveSeconds: keepAliveSeconds, username: configuration.username,
      password: configuration.password.map { ByteBuffer(string: $0) }, will: configuration.will)
    return try await MQTTConnection.open(
      configuration: configuration, connect: connect, sslContext: sslContext, group: eventLoop,
      logger: logger, onPacket: { [weak self] packet in self?.received(packet) })
  }

  /// Makes `connection` the current one: re-sends in-flight publishes (persistent session), re-subscribes when the
  /// broker has no session for us, then reports `.connected`.
  func activate(_ connection: MQTTConnection, connAck: MQTTPacket.ConnAck) async throws {
    let (resend, filters) = shared.withLockedValue { state in
      state.connection = connection
      let resend = configuration.cleanSession ? [] : state.requests.packetsToResend()
      let filters = state.subscriptions.filtersToSubscribe(sessionPresent: connAck.sessionPresent)
      return (resend, filters)
    }
    for packet in resend { try connection.send(packet) }
    if !filters.isEmpty {
      logger.debug("re-subscribing", metadata: ["filters": "\(filters.keys.sorted())"])
      // One SUBSCRIBE per QoS level keeps the requested QoS of every filter.
      for qos in Set(filters.values).sorted() {
        let group = filters.filter { $0.value == qos }.keys.sorted()
        let reply = try await request(expecting: .subAck) { id in
          .subscribe(.init(packetID: id, filters: group.map { .init(topicFilter: $0, qos: qos) }))
        }
        if case .subAck(let subAck) = reply {
          for (filter, code) in zip(group, subAck.returnCodes) where code == nil {
            logger.warning("broker refused a subscription", metadata: ["filter": "\(filter)"])
          }
          shared.withLockedValue { $0.subscriptions.recordAccepted(group, qos: qos) }
        }
      }
    }
    shared.withLockedValue { state in
      if state.connection === connection { state.setStatus(.connected(sessionPresent: connAck.sessionPresent)) }
    }
    logger.debug(
      "connected", metadata: ["transport": "\(configuration.transport)", "sessionPresent": "\(connAck.sessionPresent)"])
  }

  /// Undoes a failed ``activate(_:connAck:)``: closes the connection and stops using it.
  private func deactivate(_ connection: MQTTConnection) {
    connection.abort()
    shared.withLockedValue { state in
      if state.connection === connection { state.connection = nil }
    }
  }

  /// Watches the current connection; when it drops, backs off and reconnects until disconnect() or cancellation.
  func supervise(_ connection: MQTTConnection, generation: Int) async {
    var current = connection
    while true {
      let reason = await current.closeReason()
      guard connectionLost(current, reason: reason, generation: generation) else { return }
      guard configuration.reconnect.isEnabled else {
        shared.withLockedValue { state in
          if state.generation == generation { state.running = false }
        }
        return
      }
      var attempt = 0
      while true {
        do {
          try await Task.sleep(for: configuration.reconnect.delay(attempt: attempt))
        } catch {
          return
        }
        attempt += 1
        guard shared.withLockedValue({ $0.generation == generation }) else { return }
        shared.withLockedValue { $0.setStatus(.connecting) }
        do {
          let (connection, connAck) = try await establish()
          guard shared.withLockedValue({ $0.generation == generation }) else {
            connection.abort()
            return
          }
          do {
            try await activate(connection, connAck: connAck)
          } catch {
            deactivate(connection)
            throw error
          }
          current = connection
          break
        } catch {
          logger.debug("reconnect failed", metadata: ["attempt": "\(attempt)", "error": "\(describe(error))"])
          shared.withLockedValue { state in
            if state.generation == generation { state.setStatus(.disconnected(reason: describe(error))) }
          }
        }
      }
    }
  }

  /// Records a dropped connection. Returns false when the loop that saw it should stop (disconnect() happened).
  private func connectionLost(_ connection: MQTTConnection, reason: String, generation: Int) -> Bool {
    let (keepGoing, failed) = shared.withLockedValue { state -> (Bool, [RequestTable.Entry]) in
      guard state.generation == generation else { return (false, []) }
      if state.connection === connection { state.connection = nil }
      state.setStatus(.disconnected(reason: reason))
      // A persistent session keeps publishes for re-sending; everything else cannot survive the connection.
      let persistent = !configuration.cleanSession
      return (true, state.requests.removeAll { !(persistent && $0.isPublish) })
    }
    if keepGoing { logger.info("MQTT connection lost", metadata: ["reason": "\(reason)"]) }
    for entry in failed { entry.continuation.resume(throwing: MQTTError.closed) }
    return keepGoing
  }

  private func makeSSLContextIfNeeded() throws(MQTTError) -> NIOSSLContext? {
    guard configuration.transport.usesTLS else { return nil }
    if let context = shared.withLockedValue({ $0.sslContext }) { return context }
    var tls = TLSConfiguration.makeClientConfiguration()
    if let caFile = configuration.caFile { tls.trustRoots = .file(caFile) }
    do {
      if let certificateFile = configuration.clientCertificateFile {
        tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
      }
      if let keyFile = configuration.clientKeyFile {
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
      }
      let context = try NIOSSLContext(configuration: tls)
      shared.withLockedValue { $0.sslContext = context }
      return context
    } catch {
      throw .transportError("TLS configuration: \(describe(error))")
    }
  }
}
