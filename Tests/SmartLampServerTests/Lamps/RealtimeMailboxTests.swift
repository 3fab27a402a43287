import Testing

@testable import SmartLampServer

/// A realtime stream's queue hands over what arrived while the stream was writing as one batch (so one write), at
/// most ``RealtimeMailbox/batchLimit`` at a time, refuses events past its capacity, and ends for a finished or
/// cancelled stream.
@Suite struct RealtimeMailboxTests {
  static func event(_ id: UInt64) -> RealtimeHub.Event { .init(id: id, device: 1, json: "{\"n\":\(id)}") }

  @Test func queuedEventsComeOutAsOneBatchInOrder() async {
    let mailbox = RealtimeMailbox(capacity: 512)
    for id in 1...3 { #expect(mailbox.yield(Self.event(UInt64(id)))) }
    #expect(await mailbox.nextBatch().map(\.id) == [1, 2, 3])
    let count = RealtimeMailbox.batchLimit + 10
    for id in 1...count { _ = mailbox.yield(Self.event(UInt64(id))) }
    let first = await mailbox.nextBatch()
    #expect(first.count == RealtimeMailbox.batchLimit)
    #expect(first.first?.id == 1)
    #expect(await mailbox.nextBatch().map(\.id) == Array(UInt64(RealtimeMailbox.batchLimit + 1)...UInt64(count)))
  }

  @Test func aFullMailboxRefusesAndAFinishedOneEndsAfterItsQueue() async {
    let mailbox = RealtimeMailbox(capacity: 2)
    #expect(mailbox.yield(Self.event(1)))
    #expect(mailbox.yield(Self.event(2)))
    #expect(!mailbox.yield(Self.event(3)))
    mailbox.finish()
    #expect(!mailbox.yield(Self.event(4)))
    var seen: [UInt64] = []
    for await event in mailbox { seen.append(event.id) }
    #expect(seen == [1, 2])
  }

  @Test func aWaitingStreamWakesForAnEventAndEndsWhenCancelled() async {
    let mailbox = RealtimeMailbox(capacity: 8)
    let waiting = Task { await mailbox.nextBatch().map(\.id) }
    _ = mailbox.yield(Self.event(7))
    #expect(await waiting.value == [7])
    let cancelled = Task { await mailbox.nextBatch().count }
    cancelled.cancel()
    #expect(await cancelled.value == 0)
  }
}
