import NIOCore
import NIOPosix

/// A minimal HTTP/1.1 keep-alive client over one TCP connection: the request is written as raw bytes and the
/// answer is read by `Content-Length` only (every JSON answer of the API has one). Requests are sequential; this
/// keeps the client's own cost far below the server's so it does not blur the measurement.
struct RawHTTPClient: Sendable {
  struct Reply: Sendable {
    let status: Int
    /// The status line and header lines, unparsed.
    let head: String
    let body: String

    /// The value of a `Set-Cookie` named `name`, if the answer sets it.
    func cookie(_ name: String) -> String? {
      for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("set-cookie:") {
        let value = line.dropFirst("set-cookie:".count).drop { $0 == " " }
        if value.hasPrefix(name + "=") { return String(value.dropFirst(name.count + 1).prefix { $0 != ";" }) }
      }
      return nil
    }
  }

  struct Failure: Error, CustomStringConvertible {
    let description: String
  }

  let channel: any Channel
  let host: String
  let port: Int

  static func connect(host: String, port: Int, group: any EventLoopGroup) async throws -> RawHTTPClient {
    let channel = try await ClientBootstrap(group: group)
      .channelOption(.socketOption(.tcp_nodelay), value: 1)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(ReplyHandler())
        }
      }
      .connect(host: host, port: port).get()
    return RawHTTPClient(channel: channel, host: host, port: port)
  }

  /// Sends one request and waits for its whole answer.
  func send(_ method: String, _ path: String, headers: [(String, String)] = [], body: String? = nil) async throws
    -> Reply
  {
    var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
    for (name, value) in headers { head += "\(name): \(value)\r\n" }
    if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
    head += "\r\n" + (body ?? "")
    let promise = channel.eventLoop.makePromise(of: Reply.self)
    channel.writeAndFlush(Outgoing(bytes: ByteBuffer(string: head), reply: promise), promise: nil)
    return try await promise.futureResult.get()
  }

  func close() async {
    try? await channel.close()
  }

  struct Outgoing: Sendable {
    let bytes: ByteBuffer
    let reply: EventLoopPromise<Reply>
  }

  /// Pairs each written request with the next complete answer read.
  final class ReplyHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Outgoing
    typealias OutboundOut = ByteBuffer

    private var waiting: [EventLoopPromise<Reply>] = []
    private var buffer = ByteBuffer()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
      let outgoing = unwrapOutboundIn(data)
      waiting.append(outgoing.reply)
      context.write(wrapOutboundOut(outgoing.bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      var part = unwrapInboundIn(data)
      buffer.writeBuffer(&part)
      while let reply = nextReply() {
        guard !waiting.isEmpty else { break }
        waiting.removeFirst().succeed(reply)
      }
    }

    func channelInactive(context: ChannelHandlerContext) {
      for promise in waiting { promise.fail(Failure(description: "connection closed")) }
      waiting.removeAll()
      context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
      for promise in waiting { promise.fail(error) }
      waiting.removeAll()
      context.close(promise: nil)
    }

    /// Takes one complete answer off the buffer, if there is one.
    private func nextReply() -> Reply? {
      let view = buffer.readableBytesView
      guard let headEnd = Self.find(Array("\r\n\r\n".utf8), in: view) else { return nil }
      let head = String(decoding: view[view.startIndex..<headEnd], as: UTF8.self)
      let lines = head.split(separator: "\r\n")
      let status = lines.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
      var length = 0
      for line in lines.dropFirst() {
        let parts = line.split(separator: ":", maxSplits: 1)
        if parts.count == 2, parts[0].lowercased() == "content-length" {
          length = Int(parts[1].trimmingPrefix(" ")) ?? 0
        }
      }
      let bodyStart = headEnd + 4
      guard view.endIndex - bodyStart >= length else { return nil }
      let body = String(decoding: view[bodyStart..<(bodyStart + length)], as: UTF8.self)
      buffer.moveReaderIndex(forwardBy: bodyStart + length - view.startIndex)
      buffer.discardReadBytes()
      return Reply(status: status, head: head, body: body)
    }

    static func find(_ needle: [UInt8], in view: ByteBufferView) -> Int? {
      guard view.count >= needle.count else { return nil }
      var index = view.startIndex
      while index <= view.endIndex - needle.count {
        if view[index] == needle[0] && view[index..<(index + needle.count)].elementsEqual(needle) { return index }
        index += 1
      }
      return nil
    }
  }
}
