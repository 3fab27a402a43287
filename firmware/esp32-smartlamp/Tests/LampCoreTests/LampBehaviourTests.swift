import LampCore
import Testing

/// Builds a signed envelope the way the server must (used where the shared vectors are not enough: sequences).
func signedEnvelope(
  id: String = "lampu-teras", action: String = "ON", requestId: String, nonce: String, issuedAt: UInt64,
  ttl: UInt64 = 30_000, secret: String
) -> String {
  var envelope = SignedEnvelope()
  envelope.deviceId = FixedBytes(Array(id.utf8).span)
  envelope.action = FixedBytes(Array(action.utf8).span)
  envelope.requestId = FixedBytes(Array(requestId.utf8).span)
  envelope.issuedAt = issuedAt
  envelope.expiresAt = issuedAt + ttl
  envelope.nonce = FixedBytes(Array(nonce.utf8).span)
  let sig = CryptoTests.hex(envelope.expectedSignature(secret: FixedBytes(Array(secret.utf8).span)))
  return #"{"deviceId":"\#(id)","action":"\#(action)","requestId":"\#(requestId)","issuedAt":\#(issuedAt),"#
    + #""expiresAt":\#(issuedAt + ttl),"nonce":"\#(nonce)","sig":"\#(sig)"}"#
}

/// The state machine: connection sequence, commands, refusals, button, restore policy, replay memory.
@Suite struct LampBehaviourTests {
  let now: UInt64 = 1_764_831_600_000

  @Test func connectSubscribesAnnouncesOnlineAndPublishesRetainedState() {
    var h = Harness()
    h.boot()
    #expect(h.effects.take() == [.relay(false), .persist(PersistedState(power: false, nonceHighWater: 0))])
    h.tick()
    #expect(h.effects.take() == [.connect])
    h.connected()
    let actions = h.effects.take()
    #expect(
      actions == [
        .subscribe("cmnd/lampu-teras/+"), .subscribe("lampu-teras/cmnd/+"), .subscribe("home/lampu-teras/cmd"),
        .publish(topic: "home/lampu-teras/lwt", payload: "ONLINE", qos: 1, retain: true),
        .publish(
          topic: "home/lampu-teras/status",
          payload: #"{"deviceId":"lampu-teras","power":"OFF","ts":1764831600000,"reason":"boot"}"#, qos: 1,
          retain: true),
        .publish(topic: "stat/lampu-teras/RESULT", payload: #"{"POWER":"OFF"}"#, qos: 1, retain: false),
        .publish(topic: "stat/lampu-teras/POWER", payload: "OFF", qos: 1, retain: true),
      ])
    #expect(h.lamp.willTopic.string == "home/lampu-teras/lwt")
  }

  @Test func plainCommandsSwitchAndAnswerInBothTopicOrders() {
    var h = Harness()
    h.bootConnected()
    h.send("cmnd/lampu-teras/POWER", "ON")
    #expect(h.effects.actions.first == .relay(true))
    #expect(h.effects.actions.contains(.persist(PersistedState(power: true, nonceHighWater: 0))))
    #expect(h.effects.publishes(on: "stat/lampu-teras/POWER").map(\.payload) == ["ON"])
    #expect(h.effects.publishes(on: "stat/lampu-teras/RESULT").map(\.payload) == [#"{"POWER":"ON"}"#])
    #expect(h.effects.publishes(on: "home/lampu-teras/status").first?.payload.contains(#""reason":"command""#) == true)
    _ = h.effects.take()
    h.send("lampu-teras/cmnd/Power", "toggle")
    #expect(h.effects.actions.first == .relay(false))
    _ = h.effects.take()
    h.send("cmnd/lampu-teras/POWER", "OFF")
    #expect(!h.effects.actions.contains(.relay(false)), "no relay write when the state does not change")
    #expect(h.effects.publishes(on: "stat/lampu-teras/POWER").map(\.payload) == ["OFF"], "but the state is answered")
  }

  @Test func emptyPayloadIsAStateQueryEvenForALampWithASecret() {
    var h = Harness(secret: "s3cret")
    h.bootConnected()
    h.send("cmnd/lampu-teras/POWER", "")
    let status = h.effects.publishes(on: "home/lampu-teras/status")
    #expect(status.count == 1)
    #expect(status.first?.payload.contains(#""reason":"query""#) == true)
    #expect(h.effects.publishes(on: "stat/lampu-teras/POWER").map(\.payload) == ["OFF"])
    #expect(!h.effects.actions.contains { if case .relay = $0 { true } else { false } })
  }

  @Test func foreignIdsAndOtherTopicsProduceNoActionAtAll() {
    var h = Harness()
    h.bootConnected()
    for topic in ["cmnd/lampu-dapur/POWER", "lampu-dapur/cmnd/POWER", "home/lampu-dapur/cmd", "cmnd/lampu-teras/STATE"]
    {
      h.send(topic, "ON")
    }
    #expect(h.effects.actions.isEmpty)
    #expect(h.lamp.stats.ignored == 4)
    #expect(h.lamp.power == false)
  }

  @Test func malformedAndOversizedPayloadsAreRefusedAndReportedNotRetained() {
    var h = Harness()
    h.bootConnected()
    h.send("cmnd/lampu-teras/POWER", "BLINK")
    h.sendBytes("cmnd/lampu-teras/POWER", [UInt8](repeating: 0x41, count: Lamp.maxPayloadLength + 1))
    h.send("home/lampu-teras/cmd", "ON")
    h.send("cmnd/lampu-teras/POWER", "{\"deviceId\":")
    let reports = h.effects.publishes(on: "home/lampu-teras/status")
    #expect(
      reports.map(\.payload) == [
        #"{"deviceId":"lampu-teras","power":"OFF","ts":1764831600000,"reason":"refused","error":"MALFORMED"}"#,
        #"{"deviceId":"lampu-teras","power":"OFF","ts":1764831600000,"reason":"refused","error":"TOO_LARGE"}"#,
        #"{"deviceId":"lampu-teras","power":"OFF","ts":1764831600000,"reason":"refused","error":"MALFORMED"}"#,
        #"{"deviceId":"lampu-teras","power":"OFF","ts":1764831600000,"reason":"refused","error":"MALFORMED"}"#,
      ])
    #expect(reports.allSatisfy { !$0.retain })
    #expect(h.lamp.stats.refused == 4)
    #expect(h.lamp.power == false)
  }

  @Test func payloadAtTheLimitIsStillParsed() {
    var h = Harness()
    h.bootConnected()
    let padded = "ON" + String(repeating: " ", count: Lamp.maxPayloadLength - 2)
    h.send("cmnd/lampu-teras/POWER", padded)
    #expect(h.lamp.power == true)
  }

  @Test func plainSwitchingIsRefusedWhenTheLampHasASecret() {
    var h = Harness(secret: "s3cret")
    h.bootConnected()
    h.send("cmnd/lampu-teras/POWER", "ON")
    #expect(h.lamp.power == false)
    #expect(h.effects.publishes(on: "home/lampu-teras/status").first?.payload.contains("SIGNATURE_REQUIRED") == true)
  }

  @Test func signedCommandOnAnyCommandTopicSwitchesAndEchoesTheRequestId() {
    var h = Harness(secret: "s3cret")
    h.bootConnected()
    h.send(
      "home/lampu-teras/cmd",
      signedEnvelope(requestId: "r-1", nonce: "nonce-aaaa-1", issuedAt: now - 500, secret: "s3cret"))
    #expect(h.lamp.power == true)
    let status = h.effects.publishes(on: "home/lampu-teras/status")
    #expect(status.first?.payload.contains(#""requestId":"r-1""#) == true)
    #expect(status.first?.retain == true)
    #expect(h.effects.actions.contains(.persist(PersistedState(power: true, nonceHighWater: now - 500))))
    h.send(
      "lampu-teras/cmnd/POWER",
      signedEnvelope(action: "OFF", requestId: "r-2", nonce: "nonce-aaaa-2", issuedAt: now - 400, secret: "s3cret"))
    #expect(h.lamp.power == false)
  }

  @Test func refusalCarriesTheRequestIdOfAParsedEnvelope() {
    var h = Harness(secret: "s3cret")
    h.bootConnected()
    h.send(
      "cmnd/lampu-teras/POWER",
      signedEnvelope(requestId: "r-9", nonce: "nonce-bbbb-1", issuedAt: now - 500, secret: "guess"))
    #expect(
      h.effects.publishes(on: "home/lampu-teras/status").map(\.payload) == [
        #"{"deviceId":"lampu-teras","power":"OFF","ts":1764831600000,"reason":"refused","requestId":"r-9","error":"SIGNATURE_INVALID"}"#
      ])
  }

  @Test func nonceMemoryIsBoundedAndAnEvictedNonceCannotBeReplayed() {
    var h = Harness(secret: "k")
    h.bootConnected()
    var envelopes: [String] = []
    for index in 0..<(NonceMemory.capacity + 1) {
      let envelope = signedEnvelope(
        action: "TOGGLE", requestId: "r\(index)", nonce: "nonce-\(index)-xxxx", issuedAt: now - 10_000 + UInt64(index),
        secret: "k")
      envelopes.append(envelope)
      h.send("cmnd/lampu-teras/POWER", envelope)
    }
    #expect(h.lamp.stats.accepted == UInt32(NonceMemory.capacity + 1))
    #expect(h.lamp.nonces.count == NonceMemory.capacity)
    #expect(h.lamp.nonces.floor == now - 10_000, "the oldest entry was evicted and became the floor")
    _ = h.effects.take()
    h.send("cmnd/lampu-teras/POWER", envelopes[0])
    h.send("cmnd/lampu-teras/POWER", envelopes[NonceMemory.capacity])
    let reports = h.effects.publishes(on: "home/lampu-teras/status").map(\.payload)
    #expect(reports.count == 2)
    #expect(reports.allSatisfy { $0.contains("REPLAYED") })
  }

  @Test func highWaterMarkSurvivesARebootSoOldEnvelopesStayDead() throws {
    var h = Harness(secret: "k")
    h.bootConnected()
    let first = signedEnvelope(requestId: "r1", nonce: "nonce-0001-x", issuedAt: now - 2_000, secret: "k")
    h.send("cmnd/lampu-teras/POWER", first)
    let record = try #require(
      h.effects.actions.compactMap { action -> PersistedState? in
        if case .persist(let state) = action { return state }
        return nil
      }.last)
    #expect(record == PersistedState(power: true, nonceHighWater: now - 2_000))
    var rebooted = Harness(secret: "k")
    rebooted.bootConnected(record: bytes(record))
    #expect(rebooted.lamp.power == true)
    rebooted.send("cmnd/lampu-teras/POWER", first)
    #expect(rebooted.effects.publishes(on: "home/lampu-teras/status").first?.payload.contains("REPLAYED") == true)
    let older = signedEnvelope(
      action: "OFF", requestId: "r0", nonce: "nonce-0000-x", issuedAt: now - 3_000, secret: "k")
    rebooted.send("cmnd/lampu-teras/POWER", older)
    #expect(rebooted.lamp.power == true, "issued before the last accepted one: refused after a reboot")
    let newer = signedEnvelope(
      action: "OFF", requestId: "r2", nonce: "nonce-0002-x", issuedAt: now - 1_000, secret: "k")
    rebooted.send("cmnd/lampu-teras/POWER", newer)
    #expect(rebooted.lamp.power == false)
  }

  func bytes(_ state: PersistedState) -> [UInt8] {
    let record = state.encode()
    return (0..<record.count).map { record[$0] }
  }

  @Test(arguments: [
    (RestorePolicy.last, true, true), (.last, false, false), (.off, true, false), (.on, false, true),
  ])
  func restorePolicyAfterAPowerCut(policy: RestorePolicy, saved: Bool, expected: Bool) {
    var h = Harness(policy: policy)
    h.boot(record: bytes(PersistedState(power: saved, nonceHighWater: 7)))
    let actions = h.effects.take()
    #expect(actions.first == .relay(expected))
    #expect(h.lamp.power == expected)
    #expect(h.lamp.nonces.highWater == 7)
    if saved == expected {
      #expect(actions.count == 1, "nothing to persist when the restored state equals the saved one")
    } else {
      #expect(actions.last == .persist(PersistedState(power: expected, nonceHighWater: 7)))
    }
  }

  @Test func corruptOrMissingRecordRestoresOffUnderPolicyLast() {
    var record = bytes(PersistedState(power: true, nonceHighWater: 99))
    record[4] ^= 0xFF
    var h = Harness(policy: .last)
    h.boot(record: record)
    #expect(h.lamp.power == false)
    #expect(h.lamp.nonces.highWater == 0)
    var short = Harness(policy: .last)
    short.boot(record: Array(record.prefix(10)))
    #expect(short.lamp.power == false)
  }

  @Test func debouncedButtonTogglesOfflineAndBouncesDoNot() {
    var h = Harness()
    h.boot()
    _ = h.effects.take()
    h.button(false)
    // Contact bounce: changes faster than the debounce time never count.
    for _ in 0..<10 {
      h.advance(5)
      h.button(true)
      h.advance(5)
      h.button(false)
    }
    #expect(h.lamp.stats.presses == 0)
    h.advance(5)
    h.button(true)
    h.advance(49)
    h.button(true)
    #expect(h.lamp.stats.presses == 0)
    h.advance(1)
    h.button(true)
    #expect(h.lamp.stats.presses == 1)
    #expect(h.effects.take() == [.relay(true), .persist(PersistedState(power: true, nonceHighWater: 0))])
    h.advance(500)
    h.button(true)
    #expect(h.lamp.stats.presses == 1, "holding is one press")
    h.button(false)
    h.advance(60)
    h.tick()  // the release settles on a tick too
    h.button(true)
    h.advance(60)
    h.tick()
    #expect(h.lamp.stats.presses == 2)
    #expect(h.lamp.power == false)
  }

  @Test func buttonHeldDuringBootDoesNotToggle() {
    var h = Harness()
    h.boot()
    h.button(true)
    h.advance(1_000)
    h.button(true)
    #expect(h.lamp.stats.presses == 0)
  }

  @Test func buttonPressWhileConnectedPublishesTheNewState() {
    var h = Harness()
    h.bootConnected()
    h.button(false)
    h.advance(10)
    h.button(true)
    h.advance(50)
    h.button(true)
    #expect(h.effects.publishes(on: "home/lampu-teras/status").first?.payload.contains(#""reason":"button""#) == true)
    #expect(h.effects.publishes(on: "stat/lampu-teras/POWER").map(\.payload) == ["ON"])
  }

  @Test func stateChangedOfflineIsPublishedOnReconnect() {
    var h = Harness()
    h.bootConnected()
    h.disconnected()
    h.button(false)
    h.advance(10)
    h.button(true)
    h.advance(60)
    h.button(true)
    #expect(h.effects.publishes(on: "home/lampu-teras/status").isEmpty)
    h.advance(120_000)
    h.tick()
    h.connected()
    let status = h.effects.publishes(on: "home/lampu-teras/status")
    #expect(status.last?.payload.contains(#""power":"ON","ts":"#) == true)
    #expect(status.last?.payload.contains(#""reason":"reconnect""#) == true)
  }

  @Test func reconnectBackoffGrowsWithJitterAndIsCapped() {
    var h = Harness {
      $0.reconnectInitialMs = 1_000; $0.reconnectMaxMs = 16_000
    }
    h.boot()
    _ = h.effects.take()
    var ceilings: [UInt32] = []
    for _ in 0..<8 {
      h.tick()
      #expect(h.effects.take() == [.connect])
      let ceiling = h.lamp.reconnectCeilingMs
      h.disconnected()
      guard case .scheduleReconnect(let delay) = h.effects.take().first else {
        Issue.record("no reconnect scheduled")
        return
      }
      #expect(delay >= ceiling / 2 && delay <= ceiling, "delay \(delay) within [\(ceiling / 2), \(ceiling)]")
      ceilings.append(ceiling)
      h.advance(delay - 1)
      h.tick()
      #expect(h.effects.take().isEmpty, "not before the delay")
      h.advance(1)
    }
    #expect(ceilings == [1_000, 2_000, 4_000, 8_000, 16_000, 16_000, 16_000, 16_000])
  }

  @Test func jitterSpreadsLampsThatFailTogether() {
    var delays = Set<UInt32>()
    for seed in UInt64(1)...20 {
      var h = Harness(seed: seed)
      h.bootConnected()
      h.disconnected()
      if case .scheduleReconnect(let delay) = h.effects.take().first { delays.insert(delay) }
    }
    #expect(delays.count >= 15, "20 lamps should not reconnect in lockstep: \(delays.sorted())")
  }

  @Test func backoffResetsOnlyAfterAStableConnection() {
    var h = Harness {
      $0.reconnectInitialMs = 1_000; $0.reconnectMaxMs = 60_000; $0.stableConnectionMs = 30_000
    }
    h.boot()
    for _ in 0..<4 {
      h.tick()
      h.disconnected()
      h.advance(60_000)
    }
    #expect(h.lamp.reconnectAttempt == 4)
    h.tick()
    h.connected()
    h.advance(5_000)
    h.tick()
    h.disconnected()
    #expect(h.lamp.reconnectAttempt == 5, "a connection that dropped after 5 s does not reset the backoff")
    h.advance(60_000)
    h.tick()
    h.connected()
    h.advance(30_000)
    h.tick()
    h.disconnected()
    #expect(h.lamp.reconnectAttempt == 1, "30 s up: the next wait starts from the first step")
  }

  @Test func hangingConnectAttemptTimesOut() {
    var h = Harness { $0.connectTimeoutMs = 10_000 }
    h.boot()
    h.tick()
    _ = h.effects.take()
    h.advance(9_999)
    h.tick()
    #expect(h.effects.take().isEmpty)
    h.advance(1)
    h.tick()
    guard case .scheduleReconnect = h.effects.take().first else {
      Issue.record("timeout did not schedule a reconnect")
      return
    }
  }

  @Test func networkUpSkipsTheRemainingBackoff() {
    var h = Harness()
    h.boot()
    for _ in 0..<5 {
      h.tick()
      h.disconnected()
    }
    _ = h.effects.take()
    h.lamp.networkUp(now: h.clock, effects: &h.effects)
    #expect(h.effects.take() == [.connect])
  }

  @Test func persistedRecordRoundTripsAndRejectsDamage() {
    let state = PersistedState(power: true, nonceHighWater: 1_764_831_600_000)
    let record = bytes(state)
    #expect(record.count == PersistedState.recordLength)
    #expect(PersistedState(record: record.span) == state)
    for index in 0..<record.count {
      var damaged = record
      damaged[index] ^= 0x01
      #expect(PersistedState(record: damaged.span) == nil, "flipped bit in byte \(index) went unnoticed")
    }
  }

  @Test func rssiAndMissingClockShapeTheStatus() {
    var h = Harness(wallMs: 0)
    h.lamp.setSignalStrength(-67)
    h.bootConnected()
    h.send("cmnd/lampu-teras/POWER", "ON")
    #expect(
      h.effects.publishes(on: "home/lampu-teras/status").first?.payload
        == #"{"deviceId":"lampu-teras","power":"ON","reason":"command","rssi":-67}"#)
  }

  @Test func nothingHappensBeforeBoot() {
    var h = Harness()
    h.send("cmnd/lampu-teras/POWER", "ON")
    h.button(true)
    h.tick()
    h.connected()
    #expect(h.effects.actions.isEmpty)
  }
}
