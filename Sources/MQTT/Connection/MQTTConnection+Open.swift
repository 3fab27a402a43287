import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Synchronization

extension MQTTConnection {
  /// Opens the transport (TCP, then TLS and/or the WebSocket upgrade as configured), sends CONNECT and waits for
  /// CONNACK, all within `configuration.connectTimeout`. A refused CONNACK closes the channel and throws.
  static func open(
    configuration: MQTTClientConfiguration, connect: MQTTPacket.Connect, sslContext: NIOSSLContext?,
    group: any EventLoopGroup, logger: Logger, onPacket: @escaping @Sendable (MQTTPacket) -> Void
  ) async throws(MQTTError) -> (MQTTConnection, MQTTPacket.ConnAck) {
    let connectBuffer = try MQTTPacket.connect(connect).encode()
    let deadline = NIODeadline.now() + TimeAmount(configuration.connectTimeout)
    let keepAlive = configuration.keepAlive > .zero ? TimeAmount(configuration.keepAlive) : nil
    let pingTimeout = TimeAmount(
      min(
        configuration.ackTimeout, configuration.keepAlive > .zero ? configuration.keepAlive : configuration.ackTimeout))
    let makeHandler: @Sendable (any Channel) -> MQTTChannelHandler = { channel in
      MQTTChannelHandler(
        eventLoop: channel.eventLoop, maxPacketSize: configuration.maxPacketSize, keepAlive: keepAlive,
        pingTimeout: pingTimeout, logger: logger, onOversizedPublish: configuration.onOversizedPublish,
        onPacket: onPacket)
    }
    let host = configuration.host
    // NIOSSL refuses an IP literal as SNI; with nil it checks the IP against the certificate's SANs instead.
    let serverHostname: String? = isIPAddress(host) ? nil : host
    let transport = configuration.transport
    let hostHeader = configuration.port == (transport.usesTLS ? 443 : 80) ? host : "\(host):\(configuration.port)"
    let maxFrameSize = min(max(configuration.maxPacketSize + 16, 1 << 14), Int(UInt32.max))

    let bootstrap = ClientBootstrap(group: group)
      .connectTimeout(TimeAmount(configuration.connectTimeout))
      .channelOption(.tcpOption(.tcp_nodelay), value: 1)
    let channel: any Channel
    let ready: EventLoopFuture<MQTTChannelHandler.Handles>
    do {
      (channel, ready) = try await bootstrap.connect(host: host, port: configuration.port) { channel in
        channel.eventLoop.makeCompletedFuture { () -> (any Channel, EventLoopFuture<MQTTChannelHandler.Handles>) in
          let pipeline = channel.pipeline.syncOperations
          if let sslContext {
            try pipeline.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname))
          }
          guard case .webSocket(let path, _) = transport.kind else {
            let handler = makeHandler(channel)
            try pipeline.addHandler(handler)
            return (channel, channel.eventLoop.makeSucceededFuture(handler.handles))
          }
          let upgrader = NIOTypedWebSocketClientUpgrader<MQTTChannelHandler.Handles>(
            maxFrameSize: maxFrameSize,
            upgradePipelineHandler: { channel, response in
              channel.eventLoop.makeCompletedFuture {
                // Mosquitto answers 101 even without the subprotocol and then ignores MQTT, so check the echo.
                let protocols = response.headers[canonicalForm: "sec-websocket-protocol"].map { $0.lowercased() }
                guard protocols.contains("mqtt") else {
                  throw MQTTError.transportError("the WebSocket server did not accept the mqtt subprotocol")
                }
                try channel.pipeline.syncOperations.addHandler(WebSocketFrameAdapter())
                let handler = makeHandler(channel)
                try channel.pipeline.syncOperations.addHandler(handler)
                return handler.handles
              }
            })
          var headers = HTTPHeaders()
          headers.add(name: "Host", value: hostHeader)
          headers.add(name: "Sec-WebSocket-Protocol", value: "mqtt")
          let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
          let upgrade = NIOTypedHTTPClientUpgradeConfiguration(
            upgradeRequestHead: head, upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in
              channel.eventLoop.makeFailedFuture(MQTTError.transportError("the server refused the WebSocket upgrade"))
            })
          let upgraded = try pipeline.configureUpgradableHTTPClientPipeline(
            configuration: .init(upgradeConfiguration: upgrade))
          return (channel, upgraded)
        }
      }
    } catch ChannelError.connectTimeout {
      throw .timeout
    } catch {
      throw .transportError(describe(error))
    }

    let timedOut = Atomic(false)
    let timer = channel.eventLoop.scheduleTask(deadline: deadline) {
      timedOut.store(true, ordering: .relaxed)
      channel.close(promise: nil)
    }
    defer { timer.cancel() }
    do {
      let handles = try await ready.get()
      let connection = MQTTConnection(channel: channel, closed: handles.closed)
      connection.outbox.enqueue(connectBuffer)
      let connAck = try await handles.connAck.get()
      if connAck.returnCode != 0 {
        connection.abort()
        throw MQTTError.connectionRefused(
          MQTTConnectReturnCode(rawValue: connAck.returnCode) ?? .serverUnavailable)
      }
      return (connection, connAck)
    } catch {
      channel.close(promise: nil)
      if timedOut.load(ordering: .relaxed) { throw .timeout }
      if let error = error as? MQTTError { throw error }
      throw .transportError(describe(error))
    }
  }
}

/// IPv4 dotted quads and anything with a colon (IPv6) are addresses, everything else a host name.
func isIPAddress(_ host: String) -> Bool {
  if host.contains(":") { return true }
  let parts = host.split(separator: ".", omittingEmptySubsequences: false)
  return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
}

extension TimeAmount {
  init(_ duration: Duration) {
    let (seconds, attoseconds) = duration.components
    self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
  }
}
