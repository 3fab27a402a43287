import NIOCore
import NIOWebSocket

/// Turns WebSocket frames into the MQTT byte stream and back, below ``MQTTChannelHandler``.
///
/// MQTT packets may span frames and frames may hold several packets, so binary frames are forwarded as plain bytes.
/// Client frames must be masked (RFC 6455 §5.3); pings are answered; a close frame is echoed and ends the channel.
final class WebSocketFrameAdapter: ChannelDuplexHandler {
  typealias InboundIn = WebSocketFrame
  typealias InboundOut = ByteBuffer
  typealias OutboundIn = ByteBuffer
  typealias OutboundOut = WebSocketFrame

  private var sentClose = false

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let frame = unwrapInboundIn(data)
    switch frame.opcode {
    case .binary, .continuation:
      context.fireChannelRead(wrapInboundOut(frame.unmaskedData))
    case .ping:
      let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
      context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
    case .pong:
      break
    case .connectionClose:
      sendClose(context: context, data: frame.unmaskedData)
      context.close(promise: nil)
    default:
      context.fireErrorCaught(MQTTError.protocolError("unexpected WebSocket \(frame.opcode) frame"))
    }
  }

  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    let bytes = unwrapOutboundIn(data)
    let frame = WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: bytes)
    context.write(wrapOutboundOut(frame), promise: promise)
  }

  func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
    // Say goodbye at the WebSocket level too; the TCP close follows right away.
    if mode == .all && context.channel.isActive {
      var code = context.channel.allocator.buffer(capacity: 2)
      code.write(webSocketErrorCode: .normalClosure)
      sendClose(context: context, data: code)
    }
    context.close(mode: mode, promise: promise)
  }

  private func sendClose(context: ChannelHandlerContext, data: ByteBuffer) {
    guard !sentClose else { return }
    sentClose = true
    let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)
    context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
  }
}
