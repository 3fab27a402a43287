import Synchronization

/// At most `limit` connections; callers beyond that wait (FIFO) for one to come back. The pool only hands out
/// slots: opening a connection is blocking, so the caller does it on the driver's thread pool.
final class MariaDBConnectionPool: Sendable {
  enum Lease {
    case existing(MariaDBConnection)
    /// A free slot: open a new connection (and ``discard()`` the slot if that fails).
    case create
  }

  private struct State {
    var idle: [MariaDBConnection] = []
    var open = 0
    var waiters: [(id: Int, continuation: CheckedContinuation<Lease, any Error>)] = []
    var nextWaiter = 0
    var closed = false
  }

  private let limit: Int
  private let state = Mutex(State())

  init(limit: Int) {
    self.limit = limit
  }

  func lease() async throws -> Lease {
    let id = state.withLock { state -> Int in
      state.nextWaiter += 1
      return state.nextWaiter
    }
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Lease, any Error>) in
        let immediate: Result<Lease, any Error>? = state.withLock { state in
          if state.closed { return .failure(SQLError.connection("the database is closed")) }
          if let connection = state.idle.popLast() { return .success(.existing(connection)) }
          if state.open < limit {
            state.open += 1
            return .success(.create)
          }
          if Task.isCancelled { return .failure(CancellationError()) }
          state.waiters.append((id, continuation))
          return nil
        }
        if let immediate { continuation.resume(with: immediate) }
      }
    } onCancel: {
      let waiter = state.withLock { state in
        state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0).continuation }
      }
      waiter?.resume(throwing: CancellationError())
    }
  }

  /// Takes in a connection opened outside a lease (the start-up check's).
  func adopt(_ connection: MariaDBConnection) {
    state.withLock { state in
      state.open += 1
      state.idle.append(connection)
    }
  }

  /// Returns a healthy connection to the pool (or to the first waiter).
  func release(_ connection: MariaDBConnection) {
    let waiter = state.withLock { state -> CheckedContinuation<Lease, any Error>? in
      if !state.waiters.isEmpty { return state.waiters.removeFirst().continuation }
      if state.closed {
        state.open -= 1
      } else {
        state.idle.append(connection)
      }
      return nil
    }
    waiter?.resume(returning: .existing(connection))
  }

  /// Gives up a slot (its connection broke, or opening one failed): a waiter may open a fresh one.
  func discard() {
    let waiter = state.withLock { state -> CheckedContinuation<Lease, any Error>? in
      if !state.waiters.isEmpty, !state.closed { return state.waiters.removeFirst().continuation }
      state.open -= 1
      return nil
    }
    waiter?.resume(returning: .create)
  }

  /// Refuses further leases and returns the idle connections (closed when released by the caller).
  func close() -> [MariaDBConnection] {
    let (idle, waiters) = state.withLock { state in
      state.closed = true
      let idle = state.idle
      state.open -= idle.count
      state.idle = []
      let waiters = state.waiters.map(\.continuation)
      state.waiters = []
      return (idle, waiters)
    }
    for waiter in waiters { waiter.resume(throwing: SQLError.connection("the database is closed")) }
    return idle
  }
}
