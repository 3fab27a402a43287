import Foundation
import HTTPTypes
import NIOCore
import NIOPosix
import TestSupport

@testable import SmartLampServer

/// The test target's one raw HTTP/1.1 reader for event streams. HummingbirdTesting's clients wait for the whole
/// body, which an endless stream never finishes, so this sends the request on a plain socket and parses the answer
/// as it arrives: a `text/event-stream` answer returns after its head and yields one ``Frame`` per event; any other
/// answer (an error envelope) is read to its end, so ``body`` holds it.
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

  /// The response head, and the whole body when the answer is not an event stream.
  struct Answer: Sendable {
    let status: Int
    /// Header names in lower case; repeated fields keep the last value.
    let headers: [String: String]
    let body: Data
  }

  let status: Int
  let headers: [String: String]
  /// A non-stream answer's complete body (an error envelope); empty for an event stream.
  let body: Data
  private let channel: any Channel
  private let frames: AsyncStream<Frame>

  /// Sends `GET path` with `headers` (plus `Authorization: Bearer token` and `Last-Event-ID` when given) and returns
  /// once the head of an event stream arrived, or once any other answer was read completely. Throws when neither
  /// happens within `timeout`.
  static func open(
    port: Int, path: String = "/api/v1/realtime/stream", token: String? = nil, lastEventID: String? = nil,
    headers extra: HTTPFields = [:], timeout: Duration = .seconds(15)
  ) async throws -> SSEClient {
    var headers = extra
    if let token { headers[.authorization] = "Bearer \(token)" }
    if let lastEventID { headers[.lastEventID] = lastEventID }
    let (frames, framesContinuation) = AsyncStream.makeStream(of: Frame.self)
    let group = MultiThreadedEventLoopGroup.singleton
    let answerPromise = group.any().makePromise(of: Answer.self)
    let channel: any Channel
    do {
      channel = try await ClientBootstrap(group: group)
        .channelInitializer { channel in
          channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
              Reader(answer: answerPromise, frames: framesContinuation))
          }
        }
        .connect(host: "127.0.0.1", port: port).get()
    } catch {
      answerPromise.fail(error)
      framesContinuation.finish()
      throw error
    }
    var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
    for field in headers { request += "\(field.name.rawName): \(field.value)\r\n" }
    try await channel.writeAndFlush(ByteBuffer(string: request + "\r\n"))
    let answer: Answer
    do {
      answer = try await withThrowingTaskGroup(of: Answer.self) { tasks in
        tasks.addTask { try await answerPromise.futureResult.get() }
        tasks.addTask {
          try await Task.sleep(for: timeout)
          throw HarnessError("no answer head from GET \(path) within \(timeout)")
        }
        defer { tasks.cancelAll() }
        guard let answer = try await tasks.next() else { throw HarnessError("no answer from GET \(path)") }
        return answer
      }
    } catch {
      // Closing fails the promise (if still open) and ends the frames: nothing is left waiting.
      try? await channel.close()
      throw error
    }
    return SSEClient(answer: answer, channel: channel, frames: frames)
  }

  /// Reads the head of a stream request (and the body of an error answer), then closes the connection.
  static func probe(
    port: Int, path: String, headers: HTTPFields, timeout: Duration = .seconds(15)
  ) async throws -> Answer {
    let client = try await open(port: port, path: path, headers: headers, timeout: timeout)
    await client.close()
    return Answer(status: client.status, headers: client.headers, body: client.body)
  }

  private init(answer: Answer, channel: any Channel, frames: AsyncStream<Frame>) {
    status = answer.status
    headers = answer.headers
    body = answer.body
    self.channel = channel
    self.frames = frames
  }

  /// Frames in order; ends when the server closes the stream (or at once for a non-stream answer).
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

/// Parses on the event loop as bytes arrive: completes `answer` once (stream head, or a whole other answer) and
/// yields event-stream frames.
private final class Reader: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer

  private var parser = HTTPResponseParser()
  private let answer: EventLoopPromise<SSEClient.Answer>
  private let frames: AsyncStream<SSEClient.Frame>.Continuation
  private var answered = false

  init(answer: EventLoopPromise<SSEClient.Answer>, frames: AsyncStream<SSEClient.Frame>.Continuation) {
    self.answer = answer
    self.frames = frames
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    parser.feed(unwrapInboundIn(data).readableBytesView)
    guard let head = parser.head else { return }
    if head.isEventStream {
      respond(head, body: Data())
      for frame in parser.takeFrames() { frames.yield(frame) }
      if parser.complete { frames.finish() }
    } else if parser.complete {
      respond(head, body: parser.body)
      context.close(promise: nil)
    }
  }

  func channelInactive(context: ChannelHandlerContext) {
    // An answer without length or chunking ends with the connection.
    if let head = parser.head {
      respond(head, body: head.isEventStream ? Data() : parser.body)
    } else if !answered {
      answered = true
      answer.fail(HarnessError("the connection closed before the response head"))
    }
    frames.finish()
    context.fireChannelInactive()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    context.close(promise: nil)
  }

  private func respond(_ head: HTTPResponseParser.Head, body: Data) {
    guard !answered else { return }
    answered = true
    answer.succeed(SSEClient.Answer(status: head.status, headers: head.headers, body: body))
  }
}

/// HTTP/1.1 response parsing for one answer: head, then a body framed by chunked encoding, `Content-Length` or
/// the connection's end; an event-stream body is cut into frames at blank lines (on bytes, so a multi-byte
/// character split across reads stays whole).
private struct HTTPResponseParser {
  struct Head {
    let status: Int
    let headers: [String: String]
    var isEventStream: Bool { status == 200 && headers["content-type"]?.hasPrefix("text/event-stream") == true }
  }

  private enum Framing {
    case chunked
    case length(Int)
    case untilClose
  }

  private(set) var head: Head?
  /// The decoded body so far (a non-stream answer's, or the not-yet-framed rest of a stream).
  private(set) var body = Data()
  private(set) var complete = false
  private var raw: [UInt8] = []
  private var framing = Framing.untilClose
  private var frames: [SSEClient.Frame] = []
  private var malformed = false

  mutating func feed(_ bytes: ByteBufferView) {
    guard !complete else { return }
    raw += bytes
    if head == nil { parseHead() }
    guard let head, !malformed else { return }
    decodeBody()
    if head.isEventStream { cutFrames() }
  }

  mutating func takeFrames() -> [SSEClient.Frame] {
    defer { frames = [] }
    return frames
  }

  private mutating func parseHead() {
    guard let end = Self.find([13, 10, 13, 10], in: raw[...]) else { return }
    let lines = String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
    raw.removeFirst(end + 4)
    let statusLine = lines.first?.split(separator: " ") ?? []
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { continue }
      headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    head = Head(status: statusLine.count >= 2 ? Int(statusLine[1]) ?? 0 : 0, headers: headers)
    if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
      framing = .chunked
    } else if let length = headers["content-length"].flatMap({ Int($0) }), length >= 0 {
      framing = .length(length)
    }
  }

  private mutating func decodeBody() {
    switch framing {
    case .untilClose:
      body += raw
      raw = []
    case .length(let length):
      let take = min(length - body.count, raw.count)
      body += raw[..<take]
      raw.removeFirst(take)
      complete = body.count >= length
    case .chunked:
      // <hex size>[;ext]\r\n<data>\r\n … 0\r\n\r\n
      while let lineEnd = Self.find([13, 10], in: raw[...]) {
        let sizeText = String(decoding: raw[..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
        guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
          malformed = true
          complete = true
          return
        }
        if size == 0 {
          complete = true
          return
        }
        guard raw.count >= lineEnd + 2 + size + 2 else { return }
        body += raw[(lineEnd + 2)..<(lineEnd + 2 + size)]
        raw.removeFirst(lineEnd + 2 + size + 2)
      }
    }
  }

  private mutating func cutFrames() {
    var bytes = [UInt8](body)
    while let end = Self.find([10, 10], in: bytes[...]) {
      let block = String(decoding: bytes[..<end], as: UTF8.self)
      bytes.removeFirst(end + 2)
      var frame = SSEClient.Frame()
      var data: [String] = []
      for line in block.split(separator: "\n") {
        let name = line.prefix { $0 != ":" }
        var value = line.dropFirst(name.count + 1)
        if value.hasPrefix(" ") { value = value.dropFirst() }
        switch name {
        case "id": frame.id = String(value)
        case "retry": frame.retry = String(value)
        case "data": data.append(String(value))
        default: break
        }
      }
      if !data.isEmpty { frame.data = data.joined(separator: "\n") }
      frames.append(frame)
    }
    body = Data(bytes)
  }

  private static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
    guard haystack.count >= needle.count else { return nil }
    var index = haystack.startIndex
    let last = haystack.endIndex - needle.count
    while index <= last {
      if haystack[index..<(index + needle.count)].elementsEqual(needle) { return index - haystack.startIndex }
      index += 1
    }
    return nil
  }
}
