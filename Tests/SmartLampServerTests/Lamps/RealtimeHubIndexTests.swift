import SmartLampCore
import Testing

@testable import SmartLampServer

/// The hub files subscribers under the devices they see (and those who see very many among the wide ones): an event
/// must reach exactly the subscribers that may see its device — before and after their visibility changes, after
/// they grow past the index limit or shrink below it, and never after they are closed or dropped.
@Suite struct RealtimeHubIndexTests {
  static func member(_ id: Int64) -> RealtimeHub.Owner {
    .init(principal: .user(UserPrincipal(id: id, email: "m\(id)@b.cd", name: "M", role: .member)), sessionID: nil)
  }

  /// Everything queued for a subscription up to a marker published now to everyone, without the markers (those
  /// published for other subscriptions included).
  static func received(_ subscription: RealtimeHub.Subscription, hub: RealtimeHub) async -> [String] {
    let mark = hub.publish(device: nil, json: "end")
    var seen: [String] = []
    for await event in subscription.events {
      if event.id == mark { break }
      if event.json != "end" { seen.append(event.json) }
    }
    return seen
  }

  @Test func anEventReachesExactlyTheSubscribersThatSeeItsDevice() async {
    let hub = RealtimeHub(replayCapacity: 64)
    // Past the index limit even without device 2.
    let many = Set(Int64(1)...Int64(RealtimeHub.indexedDeviceLimit + 2))
    let one = hub.subscribe(visible: [1, 2], owner: Self.member(1), lastEventID: nil, capacity: 64)
    let two = hub.subscribe(visible: [2], owner: Self.member(2), lastEventID: nil, capacity: 64)
    let wide = hub.subscribe(visible: many.subtracting([2]), owner: Self.member(3), lastEventID: nil, capacity: 64)
    #expect(hub.candidates(for: 1) == [one.id, wide.id])
    #expect(hub.candidates(for: 2) == [one.id, two.id, wide.id])
    for device in Int64(1)...3 { hub.publish(device: device, json: "d\(device)") }
    hub.publish(device: 999, json: "nobody")
    #expect(await Self.received(one, hub: hub) == ["d1", "d2"])
    #expect(await Self.received(two, hub: hub) == ["d2"])
    // A wide subscriber is asked about every device and still sees only its own.
    #expect(await Self.received(wide, hub: hub) == ["d1", "d3"])

    // Visibility changes move the subscriber in the index.
    #expect(hub.updateVisible(two.id, to: [1]) == [1])
    #expect(hub.updateVisible(one.id, to: many) != nil)  // now wide
    #expect(hub.updateVisible(wide.id, to: [3]) == [])  // now narrow
    #expect(hub.candidates(for: 1) == [one.id, two.id])
    #expect(hub.candidates(for: 2) == [one.id])
    #expect(hub.candidates(for: 3) == [one.id, wide.id])
    for device in Int64(1)...3 { hub.publish(device: device, json: "d\(device)") }
    #expect(await Self.received(one, hub: hub) == ["d1", "d2", "d3"])
    #expect(await Self.received(two, hub: hub) == ["d1"])
    #expect(await Self.received(wide, hub: hub) == ["d3"])

    hub.close(two.id)
    hub.close(one.id)
    #expect(hub.candidates(for: 1).isEmpty)
    #expect(hub.candidates(for: 3) == [wide.id])
  }

  @Test func aDroppedSlowSubscriberLeavesTheIndex() async {
    let hub = RealtimeHub(replayCapacity: 16)
    let slow = hub.subscribe(visible: [7], owner: Self.member(1), lastEventID: nil, capacity: 2)
    let reader = hub.subscribe(visible: [7, 8], owner: Self.member(2), lastEventID: nil, capacity: 64)
    for index in 0..<3 { hub.publish(device: 7, json: "r\(index)") }
    #expect(hub.droppedCount == 1)
    #expect(hub.candidates(for: 7) == [reader.id])
    #expect(hub.candidates(for: 8) == [reader.id])
    var kept: [String] = []
    for await event in slow.events { kept.append(event.json) }
    #expect(kept == ["r0", "r1"])
    #expect(await Self.received(reader, hub: hub) == ["r0", "r1", "r2"])
  }

  @Test func adminOnlyEventsAndEventsForEveryoneSkipTheIndex() async {
    let hub = RealtimeHub(replayCapacity: 16)
    let admin = RealtimeHub.Owner(
      principal: .user(UserPrincipal(id: 9, email: "a@b.cd", name: "A", role: .admin)), sessionID: nil)
    let member = hub.subscribe(visible: [1], owner: Self.member(1), lastEventID: nil, capacity: 64)
    let administrator = hub.subscribe(visible: [], owner: admin, lastEventID: nil, capacity: 64)
    hub.publish(device: nil, json: "inbox", adminsOnly: true)
    hub.publish(device: nil, json: "all")
    hub.publish(device: 1, json: "lamp")
    #expect(await Self.received(member, hub: hub) == ["all", "lamp"])
    #expect(await Self.received(administrator, hub: hub) == ["inbox", "all"])
  }
}
