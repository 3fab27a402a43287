import Synchronization

/// Wakes the sleeping scheduler early: a schedule created, changed or deleted in this process may have moved the
/// next due slot before the one it sleeps until. A signal sent while the scheduler is busy is kept for its next
/// wait, so a change made during a tick is not missed.
final class ScheduleWakeup: Sendable {
  private struct State {
    var pending = false
    var waiter: CheckedContinuation<Void, Never>?
  }

  private let state = Mutex(State())

  init() {}

  /// Schedules changed: the scheduler looks again now (or right after its current tick).
  func signal() {
    let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
      guard let waiter = state.waiter else {
        state.pending = true
        return nil
      }
      state.waiter = nil
      return waiter
    }
    waiter?.resume()
  }

  /// Returns at `deadline` on `clock`, on a signal (also one sent since the last wait), or when cancelled.
  func wait(until deadline: ServerClock.Instant, on clock: ServerClock) async {
    await withTaskGroup(of: Void.self) { group in
      group.addTask { try? await clock.sleep(until: deadline) }
      group.addTask { await self.nextSignal() }
      await group.next()
      group.cancelAll()
    }
  }

  private func nextSignal() async {
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let now = state.withLock { state -> Bool in
          if Task.isCancelled { return true }
          if state.pending {
            state.pending = false
            return true
          }
          state.waiter = continuation
          return false
        }
        if now { continuation.resume() }
      }
    } onCancel: {
      let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
        defer { state.waiter = nil }
        return state.waiter
      }
      waiter?.resume()
    }
  }
}
