import SmartLampCore
import Testing

@testable import SmartLampServer

/// A realtime stream's buffer grows with the devices it sees (issue #10): the stream of someone who sees a whole
/// building survives a burst of reports from every lamp while it is not reading (writing its snapshot), and a
/// household's stream is still dropped as a slow reader once the usual buffer is full.
@Suite struct RealtimeBufferCapacityTests {
  static let owner = RealtimeHub.Owner(
    principal: .user(UserPrincipal(id: 1, email: "a@b.cd", name: "A", role: .admin)), sessionID: nil)

  @Test func aStreamSeeingABuildingHoldsABurstFromEveryLamp() {
    let hub = RealtimeHub(replayCapacity: 16)
    let devices = Set(Int64(1)...2_000)
    let capacity = RealtimeRoutes.bufferCapacity(visibleDevices: devices.count, base: hub.subscriberCapacity)
    let stream = hub.subscribe(visible: devices, owner: Self.owner, lastEventID: nil, capacity: capacity)
    // Three reports from every lamp (LWT Online, STATE, the reply to the state query) while nothing is read.
    for _ in 0..<3 {
      for device in devices { hub.publish(device: device, json: "{}") }
    }
    withExtendedLifetime(stream) {
      #expect(hub.droppedCount == 0)
      #expect(hub.subscriberCount == 1)
    }
  }

  @Test func aHouseholdStreamKeepsTheUsualBufferAndIsDroppedWhenItIsFull() {
    let hub = RealtimeHub(replayCapacity: 16)
    let capacity = RealtimeRoutes.bufferCapacity(visibleDevices: 3, base: hub.subscriberCapacity)
    #expect(capacity == hub.subscriberCapacity)
    let stream = hub.subscribe(visible: [1, 2, 3], owner: Self.owner, lastEventID: nil, capacity: capacity)
    withExtendedLifetime(stream) {
      for _ in 0...capacity { hub.publish(device: 1, json: "{}") }
      #expect(hub.droppedCount == 1)
      #expect(hub.subscriberCount == 0)
    }
  }
}
