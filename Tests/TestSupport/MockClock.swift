import Synchronization

/// A clock that moves only when a test says so: code under test sleeps on it, the test advances it, and the
/// sleepers whose deadline has come wake. Waiting for "someone is asleep" goes through ``sleeps``, never a sleep.
public final class MockClock: Clock, Sendable {
  public struct Instant: InstantProtocol, CustomStringConvertible {
    /// Time since the clock's start.
    public var offset: Duration

    public init(offset: Duration) { self.offset = offset }

    public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
    public func duration(to other: Instant) -> Duration { other.offset - offset }
    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    public var description: String { "T+\(offset)" }
  }

  private struct Sleeper {
    let id: Int
    let deadline: Instant
    let continuation: CheckedContinuation<Void, any Error>
  }

  private struct State {
    var now = Instant(offset: .zero)
    var nextID = 0
    var sleepers: [Sleeper] = []
  }

  private let state = Mutex(State())
  private let sleepStream = AsyncStream.makeStream(of: Instant.self)

  public init() {}

  public var now: Instant { state.withLock { $0.now } }
  public var minimumResolution: Duration { .zero }

  /// The deadline of every sleep that starts, in order (for tests to wait until the code under test is asleep).
  public var sleeps: AsyncStream<Instant> { sleepStream.stream }

  /// The deadlines of everyone asleep now.
  public var sleepers: [Instant] { state.withLock { $0.sleepers.map(\.deadline) } }

  public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
    try Task.checkCancellation()
    let id = state.withLock { state in
      state.nextID += 1
      return state.nextID
    }
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        // A cancellation that came before the sleeper was listed found nothing to cancel: it is seen here.
        let due = state.withLock { state -> Bool in
          guard state.now < deadline, !Task.isCancelled else { return true }
          state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
          return false
        }
        if due {
          if Task.isCancelled { continuation.resume(throwing: CancellationError()) } else { continuation.resume() }
        } else {
          sleepStream.continuation.yield(deadline)
        }
      }
    } onCancel: {
      let sleeper = state.withLock { state -> Sleeper? in
        guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
        return state.sleepers.remove(at: index)
      }
      sleeper?.continuation.resume(throwing: CancellationError())
    }
  }

  /// Moves time forward and wakes every sleeper whose deadline has come, earliest first.
  public func advance(by duration: Duration) {
    advance(to: now.advanced(by: duration))
  }

  public func advance(to instant: Instant) {
    let due = state.withLock { state -> [Sleeper] in
      if state.now < instant { state.now = instant }
      let due = state.sleepers.filter { !(state.now < $0.deadline) }.sorted { $0.deadline < $1.deadline }
      state.sleepers.removeAll { !(state.now < $0.deadline) }
      return due
    }
    for sleeper in due { sleeper.continuation.resume() }
  }
}
