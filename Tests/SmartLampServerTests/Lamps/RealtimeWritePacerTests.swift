import Testing

@testable import SmartLampServer

/// A stream writes its first `burst` batches at once, then at most one per interval while events keep coming; a
/// stream that gets an event less often than once per interval never waits. The mailbox never holds back a full
/// batch, nor the end of a finished stream, for the pace.
@Suite struct RealtimeWritePacerTests {
  @Test func aBurstGoesAtOnceThenOnePerInterval() {
    var pacer = RealtimeWritePacer(interval: .milliseconds(100), burst: 3)
    let start = ContinuousClock.now
    #expect(pacer.notBefore == nil)
    for index in 0..<3 {
      let now = start + .milliseconds(index)
      #expect(pacer.notBefore.map { $0 <= now } ?? true, "write \(index) of the burst waits")
      pacer.wrote(at: now)
    }
    // The fourth write in a row waits for the pace: one interval after the burst began.
    #expect(pacer.notBefore == start + .milliseconds(100))
    pacer.wrote(at: start + .milliseconds(100))
    #expect(pacer.notBefore == start + .milliseconds(200))
  }

  @Test func eventsLessOftenThanTheIntervalNeverWait() {
    var pacer = RealtimeWritePacer(interval: .milliseconds(100), burst: 1)
    var now = ContinuousClock.now
    for _ in 0..<10 {
      #expect(pacer.notBefore.map { $0 <= now } ?? true)
      pacer.wrote(at: now)
      now += .milliseconds(150)
    }
  }

  @Test func writesOfFullBatchesNeverPutTheNextWriteMoreThanAnIntervalAway() {
    var pacer = RealtimeWritePacer(interval: .milliseconds(100), burst: 3)
    let now = ContinuousClock.now
    for _ in 0..<50 { pacer.wrote(at: now) }
    #expect(pacer.notBefore == now + .milliseconds(100))
  }

  @Test(.timeLimit(.minutes(1))) func aPacedStreamWakesAsSoonAsItsBatchIsFull() async {
    let mailbox = RealtimeMailbox(capacity: 512)
    _ = mailbox.yield(.init(id: 1, device: 1, json: "{}"))
    let paced = Task { await mailbox.nextBatch(notBefore: ContinuousClock.now + .seconds(3600)).count }
    // Whether the stream is already waiting or not, the batch filling up lets it go.
    for id in 2...RealtimeMailbox.batchLimit { _ = mailbox.yield(.init(id: UInt64(id), device: 1, json: "{}")) }
    #expect(await paced.value == RealtimeMailbox.batchLimit)
  }

  @Test(.timeLimit(.minutes(1))) func aFullBatchAndAFinishedMailboxAreNotHeldBack() async {
    let later = ContinuousClock.now + .seconds(3600)
    let mailbox = RealtimeMailbox(capacity: 512)
    for id in 1...RealtimeMailbox.batchLimit {
      _ = mailbox.yield(.init(id: UInt64(id), device: 1, json: "{}"))
    }
    #expect(await mailbox.nextBatch(notBefore: later).count == RealtimeMailbox.batchLimit)
    _ = mailbox.yield(.init(id: 99, device: 1, json: "{}"))
    mailbox.finish()
    #expect(await mailbox.nextBatch(notBefore: later).map(\.id) == [99])
    #expect(await mailbox.nextBatch(notBefore: later).isEmpty)
  }
}
