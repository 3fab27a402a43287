import SmartLampCore
import Synchronization

/// A person's assignments (device internal id → grant) for a short while, so a burst of requests (the dashboard's
/// bootstrap and device list, an integration polling) reads the assignments table once instead of once per
/// request — it was the largest single cost of `GET /api/v1/bootstrap` for members (#10).
///
/// The same promise as ``SessionCache``: every in-process change to devices, assignments, users or sessions fires
/// ``AccessChanges``, and an entry is only used while the generation it was read under is still current (taken
/// before the read, so a change racing the read voids the entry). Changes made by another instance or the CLI are
/// seen within ``ttl`` (`auth.session-cache-ms`); a ttl of zero reads every time.
final class GrantCache: Sendable {
  private struct Entry {
    let grants: [Int64: DeviceGrant]
    let generation: UInt64
    let readAt: ContinuousClock.Instant
  }

  let ttl: Duration
  private let changes: AccessChanges
  private let entries = Mutex<[Int64: Entry]>([:])
  /// Beyond this many people the table is emptied rather than grown (one read each brings them back).
  static var capacity: Int { 10_000 }

  init(ttl: Duration, changes: AccessChanges) {
    self.ttl = ttl
    self.changes = changes
  }

  /// The user's grants from the cache, else from `read`, remembered under the generation seen before the read.
  func grants(of userId: Int64, read: () async throws -> [Int64: DeviceGrant]) async rethrows -> [Int64: DeviceGrant] {
    guard ttl > .zero else { return try await read() }
    let now = ContinuousClock.now
    let generation = changes.generation
    let cached = entries.withLock { entries -> [Int64: DeviceGrant]? in
      guard let entry = entries[userId] else { return nil }
      guard entry.generation == generation, now - entry.readAt < ttl else {
        entries[userId] = nil
        return nil
      }
      return entry.grants
    }
    if let cached { return cached }
    let grants = try await read()
    entries.withLock { entries in
      if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
      entries[userId] = Entry(grants: grants, generation: generation, readAt: now)
    }
    return grants
  }
}
