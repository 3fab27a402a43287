import Synchronization

/// Wakes paced realtime streams when their time comes (RealtimeMailbox). One task ticking every ``tick`` for all
/// of them, and only while some wait: a timer per stream per write cost as much as the writes it saved (1 000
/// streams, ten writes a second each). A stream woken earlier by its full batch is simply not found waiting.
final class RealtimePaceClock: Sendable {
  static let shared = RealtimePaceClock()
  static let tick = Duration.milliseconds(10)

  private struct State {
    var waiting: [(deadline: ContinuousClock.Instant, mailbox: RealtimeMailbox)] = []
    var running = false
  }

  private let state = Mutex(State())

  /// Wakes `mailbox`'s paced waiter at `deadline` (within one tick after it).
  func wake(_ mailbox: RealtimeMailbox, at deadline: ContinuousClock.Instant) {
    let start = state.withLock { state -> Bool in
      state.waiting.append((deadline, mailbox))
      defer { state.running = true }
      return !state.running
    }
    if start { Task { await self.run() } }
  }

  private func run() async {
    while true {
      try? await Task.sleep(for: Self.tick)
      let now = ContinuousClock.now
      let due = state.withLock { state -> [RealtimeMailbox]? in
        var due: [RealtimeMailbox] = []
        state.waiting.removeAll { entry in
          guard entry.deadline <= now else { return false }
          due.append(entry.mailbox)
          return true
        }
        if state.waiting.isEmpty && due.isEmpty {
          state.running = false
          return nil
        }
        return due
      }
      guard let due else { return }
      for mailbox in due { mailbox.wakePaced() }
    }
  }
}
