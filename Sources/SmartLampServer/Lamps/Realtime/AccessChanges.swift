import Synchronization

/// An in-process nudge for the realtime watcher: routes call ``changed()`` after they commit something that changes
/// what a caller may see or whether a session is still valid (devices, assignments, users, logout, API keys), so
/// open streams follow at once instead of at the next database poll. Polling stays as the fallback for changes made
/// by other server instances or the CLI.
///
/// A generation counter rather than a queue: any number of changes while the watcher is busy coalesce into one
/// more check, and firing never waits or allocates per change.
public final class AccessChanges: Sendable {
  private struct Waiter {
    var continuation: CheckedContinuation<Void, Never>?
    var cancelled = false
  }

  private struct State {
    var generation: UInt64 = 0
    var nextWaiter = 0
    var waiters: [Int: Waiter] = [:]
  }

  private let state = Mutex(State())

  public init() {}

  /// Records a committed change and wakes every waiter.
  public func changed() {
    let continuations = state.withLock { state -> [CheckedContinuation<Void, Never>] in
      state.generation &+= 1
      let waiting = state.waiters.values.compactMap(\.continuation)
      state.waiters.removeAll()
      return waiting
    }
    for continuation in continuations { continuation.resume() }
  }

  /// How many changes were recorded so far; read it before a check, then wait for it to move.
  var generation: UInt64 { state.withLock { $0.generation } }

  /// Returns once the generation differs from `seen`, or at once when it already does, or when the task is
  /// cancelled. Returns the generation it saw.
  @discardableResult
  func wait(past seen: UInt64) async -> UInt64 {
    let id = state.withLock { state in
      state.nextWaiter += 1
      return state.nextWaiter
    }
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let resumeNow = state.withLock { state -> Bool in
          // Cancelled before we got here, or a change already happened: nothing to wait for.
          if state.generation != seen || state.waiters[id]?.cancelled == true {
            state.waiters[id] = nil
            return true
          }
          state.waiters[id] = Waiter(continuation: continuation)
          return false
        }
        if resumeNow { continuation.resume() }
      }
    } onCancel: {
      let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
        if let waiter = state.waiters[id], let continuation = waiter.continuation {
          state.waiters[id] = nil
          return continuation
        }
        state.waiters[id] = Waiter(continuation: nil, cancelled: true)
        return nil
      }
      continuation?.resume()
    }
    // A cancellation that raced a change leaves a marker behind; once the handler is gone nothing can add one.
    return state.withLock { state in
      state.waiters[id] = nil
      return state.generation
    }
  }

  /// Waits for a change past `seen` or for `timeout`, whichever comes first (or cancellation).
  func wait(past seen: UInt64, atMost timeout: Duration) async {
    await withTaskGroup(of: Void.self) { group in
      group.addTask { await self.wait(past: seen) }
      group.addTask { try? await Task.sleep(for: timeout) }
      await group.next()
      group.cancelAll()
    }
  }

  /// Entries in the waiter table (parked waiters and cancellation markers), to show none are left behind.
  var waiterCount: Int { state.withLock { $0.waiters.count } }
}
