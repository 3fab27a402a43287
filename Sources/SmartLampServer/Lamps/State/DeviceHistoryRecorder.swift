import Logging
import SmartLampStore
import Synchronization

/// Collects device-side power changes (a wall switch, Tasmota's own timer: a reported change no command explains)
/// and writes them to `device_history` in batches, off the ingest path, like `device_state`'s flusher. The buffer
/// is bounded: while the database is unreachable the oldest rows are dropped (and counted) rather than memory
/// growing without end.
final class DeviceHistoryRecorder: Sendable {
  private struct Buffer {
    var rows: [NewDeviceHistory] = []
    /// Dropped since the last flush (logged there).
    var dropped = 0
    /// Dropped since start (for metrics).
    var droppedTotal = 0
  }

  private let buffer = Mutex(Buffer())
  let repository: DeviceHistoryRepository
  let logger: Logger
  let capacity: Int

  init(repository: DeviceHistoryRepository, logger: Logger, capacity: Int = 10_000) {
    self.repository = repository
    self.logger = logger
    self.capacity = max(1, capacity)
  }

  /// Queues one change (cheap: called under the ingest path).
  func record(_ row: NewDeviceHistory) {
    buffer.withLock { buffer in
      if buffer.rows.count >= capacity {
        buffer.rows.removeFirst()
        buffer.dropped += 1
        buffer.droppedTotal += 1
      }
      buffer.rows.append(row)
    }
  }

  /// How many changes wait to be written.
  var pendingCount: Int { buffer.withLock { $0.rows.count } }
  /// Changes dropped since start because the buffer was full while the database refused writes.
  var droppedCount: Int { buffer.withLock { $0.droppedTotal } }

  /// Writes every queued change in one transaction; on failure they are queued again for the next flush.
  func flush() async {
    let (rows, dropped) = buffer.withLock { buffer in
      defer {
        buffer.rows.removeAll(keepingCapacity: true)
        buffer.dropped = 0
      }
      return (buffer.rows, buffer.dropped)
    }
    if dropped > 0 {
      logger.warning("device history rows dropped while the database was unavailable", metadata: ["rows": "\(dropped)"])
    }
    guard !rows.isEmpty else { return }
    do {
      try await repository.record(rows)
    } catch {
      logger.warning("device history write failed; retrying", metadata: ["error": "\(error)"])
      buffer.withLock { buffer in
        let kept = (rows + buffer.rows).suffix(capacity)
        buffer.dropped += rows.count + buffer.rows.count - kept.count
        buffer.droppedTotal += rows.count + buffer.rows.count - kept.count
        buffer.rows = Array(kept)
      }
    }
  }
}
