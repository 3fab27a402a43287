import Synchronization

/// The answer of "is this session live, and who is its user" for a short while, so a burst of requests (the
/// dashboard loading, an integration polling) reads the session once instead of once per request.
///
/// Revocation stays immediate within this process: every route that ends sessions or changes a user fires
/// ``AccessChanges``, and an entry is only used while the change generation it was read under is still current
/// (the generation is taken before the database read, so a change racing the read also voids the entry).
/// Changes made elsewhere — another server instance on the same database, the CLI — are seen within ``ttl``.
final class SessionCache<Record: Sendable>: Sendable {
  private struct Key: Hashable {
    let sessionId: Int64
    let userId: Int64
  }

  private struct Entry {
    let record: Record
    let generation: UInt64
    let readAt: ContinuousClock.Instant
  }

  let ttl: Duration
  private let changes: AccessChanges
  private let entries = Mutex<[Key: Entry]>([:])
  /// Beyond this many sessions the table is emptied rather than grown (one read each brings them back).
  static var capacity: Int { 10_000 }

  init(ttl: Duration, changes: AccessChanges) {
    self.ttl = ttl
    self.changes = changes
  }

  /// The session's user record from the cache, else from `read` (nil: not live), remembered when live.
  func liveUser(sessionId: Int64, userId: Int64, read: () async throws -> Record?) async rethrows -> Record? {
    guard ttl > .zero else { return try await read() }
    let key = Key(sessionId: sessionId, userId: userId)
    let now = ContinuousClock.now
    let generation = changes.generation
    let cached = entries.withLock { entries -> Record? in
      guard let entry = entries[key] else { return nil }
      guard entry.generation == generation, now - entry.readAt < ttl else {
        entries[key] = nil
        return nil
      }
      return entry.record
    }
    if let cached { return cached }
    guard let record = try await read() else { return nil }
    entries.withLock { entries in
      if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
      entries[key] = Entry(record: record, generation: generation, readAt: now)
    }
    return record
  }
}
