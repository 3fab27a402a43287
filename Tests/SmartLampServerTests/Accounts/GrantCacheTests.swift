import SmartLampCore
import Synchronization
import TestSupport
import Testing

@testable import SmartLampServer

/// The assignments cache behind bootstrap and the device routes (#10): an in-process change to assignments, devices,
/// users or sessions is seen by the next request, never served from the cache.
@Suite struct GrantCacheTests {
  final class Reads: Sendable {
    let count = Atomic(0)
    func read(_ grants: [Int64: DeviceGrant]) -> [Int64: DeviceGrant] {
      count.add(1, ordering: .relaxed)
      return grants
    }
    var total: Int { count.load(ordering: .relaxed) }
  }

  static let control = DeviceGrant(devicePermission: .control, schedulePermission: SchedulePermission.none)

  @Test func readsOnceUntilAnAccessChange() async {
    let changes = AccessChanges()
    let cache = GrantCache(ttl: .seconds(60), changes: changes)
    let reads = Reads()
    for _ in 0..<5 { #expect(await cache.grants(of: 7) { reads.read([1: Self.control]) } == [1: Self.control]) }
    #expect(reads.total == 1)
    // Another person is their own entry.
    #expect(await cache.grants(of: 8) { reads.read([:]) } == [:])
    #expect(reads.total == 2)
    // The assignment is taken away: the very next lookup reads again and sees it gone.
    changes.changed()
    #expect(await cache.grants(of: 7) { reads.read([:]) } == [:])
    #expect(reads.total == 3)
  }

  /// A change committed while the read runs may not be in what the read returned: that answer is used once, not kept.
  @Test func aChangeDuringTheReadIsNotCached() async {
    let changes = AccessChanges()
    let cache = GrantCache(ttl: .seconds(60), changes: changes)
    let reads = Reads()
    _ = await cache.grants(of: 7) {
      changes.changed()
      return reads.read([1: Self.control])
    }
    #expect(await cache.grants(of: 7) { reads.read([:]) } == [:])
    #expect(reads.total == 2)
  }

  @Test func zeroTimeReadsEveryTime() async {
    let cache = GrantCache(ttl: .zero, changes: AccessChanges())
    let reads = Reads()
    for _ in 0..<3 { _ = await cache.grants(of: 1) { reads.read([:]) } }
    #expect(reads.total == 3)
  }

  /// Another instance or the CLI changes assignments without a nudge: seen once the cache time has passed.
  @Test func anEntryExpires() async throws {
    let cache = GrantCache(ttl: .milliseconds(30), changes: AccessChanges())
    let reads = Reads()
    _ = await cache.grants(of: 1) { reads.read([1: Self.control]) }
    try await poll("the entry is read again after its time") {
      _ = await cache.grants(of: 1) { reads.read([:]) }
      return reads.total > 1
    }
  }
}
