import SmartLampCore
import SmartLampStore
import Tasmota
import Testing

@testable import SmartLampServer

/// The pieces of issue #10 on their own: the stream quota's bookkeeping, the device directory's one-device
/// changes, and the connection limiter's counting.
@Suite struct ScaleUnitTests {
  static func user(_ id: Int64, session: Int64?) -> Principal {
    .user(UserPrincipal(id: id, email: "u\(id)@example.com", name: "U", role: .member, sessionId: session))
  }

  @Test func theQuotaClosesTheOldestPastEitherCapAndForgetsEndedStreams() {
    let quota = RealtimeStreamQuota(limits: .init(perSession: 2, perPerson: 3))
    let phone = RealtimeStreamQuota.Holder(principal: Self.user(1, session: 10), sessionID: 10)
    let laptop = RealtimeStreamQuota.Holder(principal: Self.user(1, session: 11), sessionID: 11)
    let other = RealtimeStreamQuota.Holder(principal: Self.user(2, session: 20), sessionID: 20)
    #expect(quota.admit(1, holder: phone) == [])
    #expect(quota.admit(2, holder: phone) == [])
    #expect(quota.admit(3, holder: phone) == [1], "per session")
    #expect(quota.admit(4, holder: other) == [])
    #expect(quota.admit(5, holder: laptop) == [])
    #expect(quota.admit(6, holder: laptop) == [2], "per person: the person's oldest, in another session")
    #expect(quota.openStreams(person: "user:1") == 3)
    quota.release(3)
    quota.release(3)
    #expect(quota.admit(7, holder: phone) == [])
    #expect(quota.openStreams(person: "user:2") == 1)
    #expect(quota.closedCount == 2)
    for id in [4, 5, 6, 7] { quota.release(id) }
    #expect(quota.trackedStreams == 0)

    let unlimited = RealtimeStreamQuota(limits: .init(perSession: 0, perPerson: 0))
    for id in 1...100 { #expect(unlimited.admit(id, holder: phone) == []) }
  }

  static func device(_ id: Int64, _ publicID: String, mqtt: String? = nil, relay: Int = 0) -> LampDevice {
    LampDevice(
      id: id, deviceId: publicID, mqttDeviceId: mqtt ?? publicID, name: publicID, location: nil,
      channel: TasmotaChannel.normalised(relay == 0 ? "POWER" : "POWER\(relay)"), createdAt: "", secret: nil)
  }

  @Test func theDirectoryChangesOneDeviceAndMatchesAFullLoad() {
    var directory = DeviceDirectory([Self.device(3, "c"), Self.device(1, "a", mqtt: "strip", relay: 1)])
    directory.upsert(Self.device(7, "g"))
    directory.upsert(Self.device(2, "b", mqtt: "strip", relay: 2))
    directory.upsert(Self.device(3, "c-renamed"))
    directory.remove(internalID: 7)
    directory.remove(internalID: 99)
    let expected = DeviceDirectory([
      Self.device(1, "a", mqtt: "strip", relay: 1), Self.device(2, "b", mqtt: "strip", relay: 2),
      Self.device(3, "c-renamed"),
    ])
    #expect(directory.all == expected.all)
    #expect(directory.byPublicID == expected.byPublicID)
    #expect(directory.byInternalID == expected.byInternalID)
    #expect(directory.byMQTTKey == expected.byMQTTKey)
    #expect(directory.byPublicID["c"] == nil)
    #expect(directory.signature.devices == expected.signature.devices)
    #expect(directory.signature.secrets == expected.signature.secrets)
    #expect(directory.signature.devices == "3/3")
  }

  @Test func theLimiterCountsPerAddressAndExemptsTrustedProxies() {
    let limiter = ConnectionLimiter(limit: 2, trustedProxies: ["10.0.0.0/8"])
    #expect(limiter.acquire("192.168.1.5") && limiter.acquire("192.168.1.5"))
    #expect(!limiter.acquire("192.168.1.5"))
    #expect(limiter.acquire("192.168.1.6"))
    limiter.release("192.168.1.5")
    #expect(limiter.acquire("192.168.1.5"))
    for _ in 0..<10 { #expect(limiter.acquire("10.1.2.3")) }
    for _ in 0..<2 { limiter.release("192.168.1.5") }
    limiter.release("192.168.1.6")
    #expect(limiter.trackedAddresses == 0)
    #expect(limiter.refusedCount == 1)
  }
}
