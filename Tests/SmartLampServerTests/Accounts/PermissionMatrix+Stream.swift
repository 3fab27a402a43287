import Foundation
import HTTPTypes
import NIOCore
import NIOPosix
import TestSupport

/// Reads only the head of an answer on a raw socket: an endless event stream never completes, so the test client
/// (which waits for the whole body) cannot call it. A `200` ends the probe after the head; any other answer is
/// read to its end so its envelope can be checked.
enum StreamProbe {
  struct Answer: Sendable {
    let status: Int
    let headers: [String: String]
    let body: Data
  }

  private final class Collector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let continuation: AsyncStream<ByteBuffer>.Continuation
    init(_ continuation: AsyncStream<ByteBuffer>.Continuation) { self.continuation = continuation }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { continuation.yield(unwrapInboundIn(data)) }
    func channelInactive(context: ChannelHandlerContext) { continuation.finish() }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
  }

  static func get(port: Int, path: String, headers: HTTPFields) async throws -> Answer {
    let (bytes, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(Collector(continuation))
        }
      }
      .connect(host: "127.0.0.1", port: port).get()
    defer { channel.close(promise: nil) }
    var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nConnection: close\r\n"
    for field in headers { request += "\(field.name.rawName): \(field.value)\r\n" }
    try await channel.writeAndFlush(ByteBuffer(string: request + "\r\n"))
    return try await withThrowingTaskGroup(of: Answer.self) { group in
      group.addTask { try await read(bytes) }
      group.addTask {
        try await Task.sleep(for: .seconds(15))
        throw HarnessError("no complete answer from GET \(path) within 15 s")
      }
      defer { group.cancelAll() }
      guard let answer = try await group.next() else { throw HarnessError("no answer") }
      return answer
    }
  }

  private static func read(_ bytes: AsyncStream<ByteBuffer>) async throws -> Answer {
    var received = Data()
    var head: (status: Int, headers: [String: String], end: Int)?
    for await buffer in bytes {
      received.append(contentsOf: buffer.readableBytesView)
      if head == nil, let end = received.range(of: Data("\r\n\r\n".utf8))?.upperBound {
        head = try parseHead(received[..<end], end: end)
      }
      guard let head else { continue }
      if head.status == 200 { return Answer(status: 200, headers: head.headers, body: Data()) }
      if let length = head.headers["content-length"].flatMap({ Int($0) }), received.count - head.end >= length {
        break
      }
    }
    guard let head else { throw HarnessError("the connection closed before the response head") }
    return Answer(status: head.status, headers: head.headers, body: Data(received[head.end...]))
  }

  private static func parseHead(_ data: Data, end: Int) throws -> (status: Int, headers: [String: String], end: Int) {
    let lines = String(decoding: data, as: UTF8.self).components(separatedBy: "\r\n")
    let statusLine = lines.first?.split(separator: " ") ?? []
    guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
      throw HarnessError("bad status line: \(lines.first ?? "")")
    }
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { continue }
      headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return (status, headers, end)
  }
}
