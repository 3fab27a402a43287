import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import SmartLampCore
import Synchronization

/// `GET /api/v1/realtime/stream` (CONTRACT §8): `retry:` first, `hello`, then either the events missed since
/// `Last-Event-ID` (when still buffered) or a snapshot of one `status` per visible device, then live events.
/// Every frame after `hello` carries an `id:`. The stream ends when the client leaves, the server shuts down, the
/// hub drops a client that fell behind, or the caller's session is revoked. `?lastEventId=` resumes like the header
/// (the header wins), for clients that reconnect by hand and cannot set headers on an EventSource.
struct RealtimeRoutes: Sendable {
  let lamps: LampServices

  func add(to api: RouterGroup<AuthenticatedContext>) {
    api.get("realtime/stream", use: stream)
  }

  func stream(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.listDevices)
    let principal = context.principal
    let visible = try await lamps.visibleDevices(for: principal)
    let lastEventID = (request.headers[.lastEventID] ?? request.uri.queryParameters.get("lastEventId")).flatMap {
      UInt64($0.trimmingCharacters(in: .whitespaces))
    }
    let sessionID = context.caller.sessionID ?? Self.sessionID(of: principal)
    let subscription = lamps.hub.subscribe(
      visible: Set(visible.map(\.device.id)),
      owner: .init(principal: principal, sessionID: sessionID),
      lastEventID: lastEventID,
      capacity: Self.bufferCapacity(visibleDevices: visible.count, base: lamps.hub.subscriberCapacity))
    // Past the per-session or per-person cap the oldest streams end (RealtimeStreamQuota.swift).
    lamps.hub.closeForLimit(
      lamps.hub.quota.admit(subscription.id, holder: .init(principal: principal, sessionID: sessionID)))
    // The opening frames (the replay, or one status per visible device) are written once and then let go: held by
    // the body closure for the stream's life they cost an administrator's stream over 10 000 lamps megabytes each
    // (6.4 GB with 1 000 such streams open, LampBench).
    var opening = ByteBuffer()
    if let replay = subscription.replay {
      for event in replay { opening.writeImmutableBuffer(event.frame) }
    } else {
      let lastCommands: [Int64: (action: String, issuedAt: Int64)]
      do {
        lastCommands = try await lamps.commandLogs.lastCommands()
      } catch {
        lamps.hub.quota.release(subscription.id)
        lamps.hub.close(subscription.id)
        throw error
      }
      let now = RealtimeEvent.now()
      for entry in visible {
        let json = RealtimeEvent.json(
          RealtimeEvent.Status(
            deviceId: entry.device.deviceId,
            payload: .init(
              status: lamps.state.status(of: entry.device, lastCommand: lastCommands[entry.device.id]),
              reportSource: "snapshot"),
            ts: now))
        opening.writeString(Self.frame(id: subscription.position, json: json))
      }
    }
    let hub = lamps.hub
    let pending = OpeningFrames(opening)
    let pingIntervalMs = lamps.configuration.realtimePingIntervalMs
    var headers = HTTPFields()
    headers[.contentType] = "text/event-stream; charset=utf-8"
    headers[.cacheControl] = "no-cache, no-transform"
    headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
    return Response(
      status: .ok, headers: headers,
      body: ResponseBody { writer in
        defer {
          hub.close(subscription.id)
          hub.quota.release(subscription.id)
        }
        do {  // scoped, so the written bytes are not kept for the stream's life
          var head = ByteBuffer(string: "retry: 2000\n\n")
          head.writeString(
            Self.frame(
              id: nil,
              json: RealtimeEvent.json(RealtimeEvent.Hello(ts: RealtimeEvent.now(), pingIntervalMs: pingIntervalMs))))
          if var opening = pending.take() { head.writeBuffer(&opening) }
          try await writer.write(head)
        }
        try await request.body.consumeWithCancellationOnInboundClose { _ in
          try await withGracefulShutdownHandler {
            // Whatever queued while the last write was under way goes out as one write (RealtimeMailbox.swift).
            var pacer = RealtimeWritePacer(
              interval: RealtimeMailbox.writeInterval(forStream: subscription.id), burst: RealtimeMailbox.writeBurst)
            while true {
              let batch = await subscription.events.nextBatch(notBefore: pacer.notBefore)
              if batch.isEmpty { break }
              pacer.wrote(at: .now)
              if batch.count == 1 {
                try await writer.write(batch[0].frame)
              } else {
                var bytes = ByteBuffer()
                bytes.reserveCapacity(batch.reduce(0) { $0 + $1.frame.readableBytes })
                for event in batch { bytes.writeImmutableBuffer(event.frame) }
                try await writer.write(bytes)
              }
            }
          } onGracefulShutdown: {
            hub.close(subscription.id)
          }
        }
        try await writer.finish(nil)
      })
  }

  /// Events a stream may fall behind before the hub drops it as a slow reader. A stream that sees many devices
  /// must hold a burst from each of them (a building's lamps reconnecting send a few reports each) while it writes its
  /// snapshot of as many frames: with the fixed 512, the stream of an administrator of 10 000 lamps was dropped as
  /// "slow" during such a burst and the live view ended (issue #10's "applied 0 (the stream ended)").
  static func bufferCapacity(visibleDevices: Int, base: Int) -> Int {
    max(base, 4 * visibleDevices)
  }

  static func frame(id: UInt64?, json: String) -> String {
    if let id { return "id: \(id)\ndata: \(json)\n\n" }
    return "data: \(json)\n\n"
  }

  static func sessionID(of principal: Principal) -> Int64? {
    if case .user(let user) = principal { return user.sessionId }
    return nil
  }
}

/// A stream's opening frames, handed to its body once and then no longer held.
final class OpeningFrames: Sendable {
  private let bytes: Mutex<ByteBuffer?>

  init(_ bytes: ByteBuffer) {
    self.bytes = Mutex(bytes)
  }

  func take() -> ByteBuffer? { bytes.withLock { $0.take() } }
}
