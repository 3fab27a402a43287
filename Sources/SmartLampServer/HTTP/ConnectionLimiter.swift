import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Counts open connections per client address before any request is read, so one address cannot hold every
/// descriptor of the process (a service started with the common 1 024-descriptor limit would stop accepting
/// anyone). Counted on the socket peer: a trusted proxy carries many clients and is exempt.
final class ConnectionLimiter: Sendable {
  let limit: Int
  private let exempt: [IPMatcher]
  private let state = Mutex(State())

  private struct State {
    var open: [String: Int] = [:]
    var refused = 0
  }

  /// `limit` 0 means no cap.
  init(limit: Int, trustedProxies: [String]) {
    self.limit = limit
    self.exempt = trustedProxies.compactMap(IPMatcher.init)
  }

  /// Takes a slot for `address`; false when the address already holds `limit` connections.
  func acquire(_ address: String) -> Bool {
    guard limit > 0, !exempt.contains(where: { $0.contains(address) }) else { return true }
    return state.withLock { state in
      let count = state.open[address, default: 0]
      guard count < limit else {
        state.refused += 1
        return false
      }
      state.open[address] = count + 1
      return true
    }
  }

  /// Gives back a slot taken by ``acquire(_:)`` (only call it when that returned true).
  func release(_ address: String) {
    guard limit > 0, !exempt.contains(where: { $0.contains(address) }) else { return }
    state.withLock { state in
      let count = state.open[address, default: 0] - 1
      state.open[address] = count > 0 ? count : nil
    }
  }

  func openConnections(_ address: String) -> Int { state.withLock { $0.open[address, default: 0] } }
  /// Connections refused since start.
  var refusedCount: Int { state.withLock { $0.refused } }
  /// Addresses holding at least one connection (the table never keeps an idle address).
  var trackedAddresses: Int { state.withLock { $0.open.count } }
}

/// One per connection, right after HTTP decoding: takes the address's slot when the connection opens and gives it
/// back when it closes. Past the cap it answers `429 TOO_MANY_CONNECTIONS` without passing the request on, then closes.
final class ConnectionLimitHandler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPRequestPart
  typealias InboundOut = HTTPRequestPart
  typealias OutboundOut = HTTPResponsePart

  private let limiter: ConnectionLimiter
  private var held: String?
  private var refused = false

  init(limiter: ConnectionLimiter) {
    self.limiter = limiter
  }

  func handlerAdded(context: ChannelHandlerContext) {
    if context.channel.isActive { admit(context: context) }
  }

  func channelActive(context: ChannelHandlerContext) {
    admit(context: context)
    context.fireChannelActive()
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    // A refused connection's request never reaches the router.
    guard !refused else { return }
    context.fireChannelRead(data)
  }

  func channelInactive(context: ChannelHandlerContext) {
    giveBack()
    context.fireChannelInactive()
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    giveBack()
  }

  private func admit(context: ChannelHandlerContext) {
    guard held == nil, !refused, let address = context.channel.remoteAddress?.ipAddress else { return }
    if limiter.acquire(address) {
      held = address
      return
    }
    refused = true
    let body = ByteBuffer(
      string: #"{"success":false,"error":{"code":"TOO_MANY_CONNECTIONS","message":"Too many open connections "#
        + #"from this address","details":{"limit":\#(limiter.limit)}}}"#)
    var fields = HTTPFields()
    fields[.contentType] = "application/json; charset=utf-8"
    fields[.contentLength] = "\(body.readableBytes)"
    fields[.connection] = "close"
    fields[.retryAfter] = "5"
    context.write(wrapOutboundOut(.head(HTTPResponse(status: .tooManyRequests, headerFields: fields))), promise: nil)
    context.write(wrapOutboundOut(.body(body)), promise: nil)
    // Closing at once would reset a connection whose request is still unread, and the client might lose the
    // answer: end our side, discard what comes, and close fully a moment later.
    context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
      context.close(mode: .output, promise: nil)
      context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { context.close(promise: nil) }
    }
  }

  private func giveBack() {
    guard let address = held else { return }
    held = nil
    limiter.release(address)
  }
}
