import Logging
import NIOCore

/// The top of every transport pipeline: decodes packets from the byte stream, answers the broker's protocol-level
/// packets itself (PUBACK/PUBREC/PUBCOMP for inbound messages, PINGRESP bookkeeping), drives keep-alive from our
/// outbound activity, and hands everything else to the client through `onPacket`. Outbound data arrives already
/// encoded, so the handler never knows or cares which transport sits below it.
final class MQTTChannelHandler: ChannelDuplexHandler {
  typealias InboundIn = ByteBuffer
  typealias OutboundIn = ByteBuffer
  typealias OutboundOut = ByteBuffer

  /// What the connection learns from the handler: CONNACK, and why the channel closed.
  struct Handles: Sendable {
    let connAck: EventLoopFuture<MQTTPacket.ConnAck>
    let closed: EventLoopFuture<String>
  }

  private var processor: NIOSingleStepByteToMessageProcessor<MQTTPacketDecoder>
  private let keepAlive: TimeAmount?
  private let pingTimeout: TimeAmount
  private let onPacket: @Sendable (MQTTPacket) -> Void
  private let logger: Logger
  private let connAckPromise: EventLoopPromise<MQTTPacket.ConnAck>
  private let closedPromise: EventLoopPromise<String>
  private var connAckReceived = false
  private var finished = false
  private var closeReason: String?
  private var lastWrite = NIODeadline.now()
  private var keepAliveTimer: Scheduled<Void>?
  private var pingTimer: Scheduled<Void>?
  private var needsFlush = false
  /// Inbound QoS 2 packet identifiers between PUBREC and PUBREL, so a re-sent PUBLISH is delivered once.
  private var qos2Received: Set<UInt16> = []

  let handles: Handles

  init(
    eventLoop: any EventLoop, maxPacketSize: Int, keepAlive: TimeAmount?, pingTimeout: TimeAmount, logger: Logger,
    onOversizedPublish: (@Sendable (Int) -> Void)? = nil, onPacket: @escaping @Sendable (MQTTPacket) -> Void
  ) {
    processor = NIOSingleStepByteToMessageProcessor(
      MQTTPacketDecoder(maxPacketSize: maxPacketSize, onOversizedPublish: onOversizedPublish),
      maximumBufferSize: maxPacketSize + 5)
    self.keepAlive = keepAlive
    self.pingTimeout = pingTimeout
    self.onPacket = onPacket
    self.logger = logger
    connAckPromise = eventLoop.makePromise()
    closedPromise = eventLoop.makePromise()
    handles = Handles(connAck: connAckPromise.futureResult, closed: closedPromise.futureResult)
  }

  func handlerAdded(context: ChannelHandlerContext) {
    lastWrite = .now()
    scheduleKeepAlive(context: context)
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    finish()
  }

  func channelInactive(context: ChannelHandlerContext) {
    finish()
    context.fireChannelInactive()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    fail(context: context, reason: describe(error))
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let buffer = unwrapInboundIn(data)
    do {
      try processor.process(buffer: buffer) { packet in
        try self.handle(packet, context: context)
      }
    } catch {
      fail(context: context, reason: describe(error))
    }
  }

  func channelReadComplete(context: ChannelHandlerContext) {
    if needsFlush {
      needsFlush = false
      context.flush()
    }
    context.fireChannelReadComplete()
  }

  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    lastWrite = .now()
    context.write(data, promise: promise)
  }

  private func handle(_ packet: MQTTPacket, context: ChannelHandlerContext) throws {
    if !connAckReceived {
      guard case .connAck(let connAck) = packet else {
        throw MQTTError.protocolError("expected CONNACK, received \(packet.kindDescription)")
      }
      connAckReceived = true
      connAckPromise.succeed(connAck)
      return
    }
    switch packet {
    case .publish(let publish):
      switch publish.qos {
      case .atMostOnce:
        onPacket(packet)
      case .atLeastOnce:
        onPacket(packet)
        if let id = publish.packetID { writeAck(.pubAck, id, context: context) }
      case .exactlyOnce:
        // Deliver on first receipt and remember the id until PUBREL, so a DUP re-send is not delivered twice.
        guard let id = publish.packetID else { return }
        if qos2Received.insert(id).inserted { onPacket(packet) }
        writeAck(.pubRec, id, context: context)
      }
    case .ack(let ack) where ack.kind == .pubRel:
      qos2Received.remove(ack.packetID)
      writeAck(.pubComp, ack.packetID, context: context)
    case .ack, .subAck:
      onPacket(packet)
    case .pingResp:
      pingTimer?.cancel()
      pingTimer = nil
    case .connAck, .connect, .subscribe, .unsubscribe, .pingReq, .disconnect:
      throw MQTTError.protocolError("unexpected \(packet.kindDescription) from the broker")
    }
  }

  private func writeAck(_ kind: MQTTPacket.Ack.Kind, _ id: UInt16, context: ChannelHandlerContext) {
    guard let buffer = try? MQTTPacket.ack(.init(kind: kind, packetID: id)).encode(allocator: context.channel.allocator)
    else { return }
    lastWrite = .now()
    context.write(wrapOutboundOut(buffer), promise: nil)
    needsFlush = true
  }

  /// Keep-alive follows *our* writes [MQTT-3.1.2-23]: inbound traffic does not postpone the PINGREQ.
  private func scheduleKeepAlive(context: ChannelHandlerContext) {
    guard let keepAlive, !finished else { return }
    keepAliveTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: lastWrite + keepAlive) { [self] in
      if NIODeadline.now() >= lastWrite + keepAlive {
        sendPing(context: context)
      }
      scheduleKeepAlive(context: context)
    }
  }

  private func sendPing(context: ChannelHandlerContext) {
    guard let buffer = try? MQTTPacket.pingReq.encode(allocator: context.channel.allocator) else { return }
    lastWrite = .now()
    context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    guard pingTimer == nil else { return }
    pingTimer = context.eventLoop.assumeIsolated().scheduleTask(in: pingTimeout) { [self] in
      fail(context: context, reason: "no PINGRESP from the broker: connection considered dead")
    }
  }

  private func fail(context: ChannelHandlerContext, reason: String) {
    if closeReason == nil { closeReason = reason }
    logger.debug("closing MQTT connection", metadata: ["reason": "\(reason)"])
    context.close(promise: nil)
  }

  private func finish() {
    guard !finished else { return }
    finished = true
    keepAliveTimer?.cancel()
    pingTimer?.cancel()
    let reason = closeReason ?? "connection closed by the broker"
    if !connAckReceived { connAckPromise.fail(MQTTError.transportError(reason)) }
    closedPromise.succeed(reason)
  }
}

func describe(_ error: any Error) -> String {
  if let error = error as? MQTTError { return error.description }
  return String(describing: error)
}

extension MQTTPacket {
  var kindDescription: String {
    switch self {
    case .connect: "CONNECT"
    case .connAck: "CONNACK"
    case .publish: "PUBLISH"
    case .ack(let ack): "\(ack.kind)".uppercased()
    case .subscribe: "SUBSCRIBE"
    case .subAck: "SUBACK"
    case .unsubscribe: "UNSUBSCRIBE"
    case .pingReq: "PINGREQ"
    case .pingResp: "PINGRESP"
    case .disconnect: "DISCONNECT"
    }
  }
}
