import Foundation
import NIOCore
import NIOPosix
import TestSupport

@testable import SmartLampServer

/// A raw HTTP/1.1 SSE reader for tests: sends the request on a plain socket, decodes the chunked body and yields
/// one frame per blank-line-separated event. HummingbirdTesting's clients wait for the whole body, which an
/// endless stream never finishes.
final class SSEClient: Sendable {
  struct Frame: Sendable, CustomStringConvertible {
    var id: String?
    var retry: String?
    var data: String?

    var json: JSONValue? { data.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) } }
    var type: String? { json?["type"]?.string }
    var deviceId: String? { json?["deviceId"]?.string }
    var description: String { "id=\(id ?? "-") retry=\(retry ?? "-") \(data ?? "")" }
  }

  let status: Int
  private let channel: any Channel
  private let frames: AsyncStream<Frame>

  /// Forwards received bytes to an async stream.
  private final class Collector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let continuation: AsyncStream<ByteBuffer>.Continuation
    init(_ continuation: AsyncStream<ByteBuffer>.Continuation) { self.continuation = continuation }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      continuation.yield(unwrapInboundIn(data))
    }
    func channelInactive(context: ChannelHandlerContext) { continuation.finish() }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
  }

  /// Opens the stream; returns once the response head arrived.
  static func open(port: Int, token: String?, lastEventID: String? = nil) async throws -> SSEClient {
    let (bytes, bytesContinuation) = AsyncStream.makeStream(of: ByteBuffer.self)
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(Collector(bytesContinuation))
        }
      }
      .connect(host: "127.0.0.1", port: port).get()
    var request = "GET /api/v1/realtime/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
    if let token { request += "Authorization: Bearer \(token)\r\n" }
    if let lastEventID { request += "Last-Event-ID: \(lastEventID)\r\n" }
    request += "\r\n"
    try await channel.writeAndFlush(ByteBuffer(string: request))
    let (frames, continuation) = AsyncStream.makeStream(of: Frame.self)
    var parser = Parser()
    var iterator = bytes.makeAsyncIterator()
    var status: Int?
    while status == nil, let buffer = await iterator.next() {
      parser.feed(buffer)
      status = parser.takeStatus()
      for frame in parser.takeFrames() { continuation.yield(frame) }
    }
    guard let status else { throw HarnessError("stream closed before the response head") }
    // The rest is parsed as it arrives, on the stream's own task, until the connection closes.
    let started = parser
    Task {
      var parser = started
      for await buffer in bytes {
        parser.feed(buffer)
        for frame in parser.takeFrames() { continuation.yield(frame) }
        if parser.finished { break }
      }
      continuation.finish()
    }
    return SSEClient(status: status, channel: channel, frames: frames)
  }

  private init(status: Int, channel: any Channel, frames: AsyncStream<Frame>) {
    self.status = status
    self.channel = channel
    self.frames = frames
  }

  /// Frames in order; ends when the server closes the stream.
  var events: AsyncStream<Frame> { frames }

  func close() async {
    try? await channel.close()
  }
}

extension AsyncStream where Element == SSEClient.Frame {
  /// Reads frames until one satisfies `match` (returned) or `timeout` passes (throws). Returns nil when the stream
  /// ended first.
  func next(
    within timeout: Duration = .seconds(10), _ what: String = "frame",
    where match: @escaping @Sendable (SSEClient.Frame) -> Bool = { _ in true }
  ) async throws -> SSEClient.Frame? {
    try await withThrowingTaskGroup(of: SSEClient.Frame?.self) { group in
      group.addTask {
        for await frame in self where match(frame) { return frame }
        return nil
      }
      group.addTask {
        try await Task.sleep(for: timeout)
        throw HarnessError("no \(what) within \(timeout)")
      }
      let result = try await group.next() ?? nil
      group.cancelAll()
      return result
    }
  }
}

/// HTTP/1.1 response parsing: head, chunked body, SSE frames.
private struct Parser {
  private var raw: [UInt8] = []
  private var headParsed = false
  private var status: Int?
  private var body: [UInt8] = []
  private var text = ""
  private var frames: [SSEClient.Frame] = []
  private(set) var finished = false

  mutating func feed(_ buffer: ByteBuffer) {
    raw += buffer.readableBytesView
    if !headParsed, let end = find([13, 10, 13, 10], in: raw) {
      let head = String(decoding: raw[..<end], as: UTF8.self)
      status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) }
      raw.removeFirst(end + 4)
      headParsed = true
    }
    guard headParsed else { return }
    // Chunked: <hex>\r\n<data>\r\n … 0\r\n\r\n
    while let lineEnd = find([13, 10], in: raw) {
      let sizeText = String(decoding: raw[..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
      guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
        finished = true
        return
      }
      if size == 0 {
        finished = true
        break
      }
      guard raw.count >= lineEnd + 2 + size + 2 else { break }
      body += raw[(lineEnd + 2)..<(lineEnd + 2 + size)]
      raw.removeFirst(lineEnd + 2 + size + 2)
    }
    text += String(decoding: body, as: UTF8.self)
    body = []
    while let range = text.range(of: "\n\n") {
      let block = text[..<range.lowerBound]
      text = String(text[range.upperBound...])
      var frame = SSEClient.Frame()
      for line in block.split(separator: "\n") {
        if line.hasPrefix("id: ") { frame.id = String(line.dropFirst(4)) }
        if line.hasPrefix("retry: ") { frame.retry = String(line.dropFirst(7)) }
        if line.hasPrefix("data: ") { frame.data = String(line.dropFirst(6)) }
      }
      frames.append(frame)
    }
  }

  mutating func takeStatus() -> Int? {
    defer { status = nil }
    return status
  }

  mutating func takeFrames() -> [SSEClient.Frame] {
    defer { frames = [] }
    return frames
  }

  private func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard haystack.count >= needle.count, let first = needle.first else { return nil }
    var index = 0
    let last = haystack.count - needle.count
    while index <= last {
      if haystack[index] == first {
        var matched = true
        for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
          matched = false
          break
        }
        if matched { return index }
      }
      index += 1
    }
    return nil
  }
}
