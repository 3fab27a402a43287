import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

/// `devices.hmac_secret` (issue #11) and `device_state.profile`: upstream's placeholder means no secret, a set
/// secret reads back, clearing restores the placeholder, and any change moves the visibility signature (which is
/// how a running server notices a secret set by the CLI or another instance).
@Suite struct DeviceSecretStoreTests {
  @Test(arguments: StoreEngine.all) func secretIsStoredClearedAndSeenByTheSignature(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let devices = fixture.store.devices
    let plain = try await fixture.device("plain")
    #expect(plain.hmacSecret == nil)
    let stored = try await fixture.database.read { conn in
      try conn.queryOne("SELECT hmac_secret FROM devices WHERE device_id = 'plain'")?.optionalString("hmac_secret")
    }
    #expect(stored == "unused-tasmota", "new rows carry upstream's placeholder")

    let secret = try DeviceSecret("f43a301812844e47ab5908ebae902934")
    let signed = try await devices.create(
      NewDevice(deviceId: try DeviceID("signed"), name: "Signed", hmacSecret: secret))
    #expect(signed.hmacSecret == secret)
    #expect(!"\(signed)".contains("f43a3018") && !String(reflecting: signed).contains("f43a3018"), "never printed")
    #expect(try await devices.byPublicId("signed")?.hmacSecret?.value == secret.value)

    let before = try await devices.visibilitySignature()
    let rotated = try DeviceSecret("f43a301812844e47ab5908ebae902935")
    #expect(try await devices.update("signed", DeviceChanges(hmacSecret: .some(rotated))).hmacSecret == rotated)
    let afterRotation = try await devices.visibilitySignature()
    #expect(afterRotation != before, "a secret of the same length changed: the signature moves")
    #expect(try await devices.update("signed", DeviceChanges(name: "Renamed")).hmacSecret == rotated, "kept")

    let cleared = try await devices.update("signed", DeviceChanges(hmacSecret: .some(nil)))
    #expect(cleared.hmacSecret == nil)
    #expect(try await devices.visibilitySignature() != afterRotation)
    let placeholder = try await fixture.database.read { conn in
      try conn.queryOne("SELECT hmac_secret FROM devices WHERE device_id = 'signed'")?.optionalString("hmac_secret")
    }
    #expect(placeholder == "unused-tasmota")

    // Upstream rows: NULL and empty are no secret either.
    try await fixture.database.write { conn in
      try conn.execute("UPDATE devices SET hmac_secret = NULL WHERE device_id = 'plain'")
      try conn.execute("UPDATE devices SET hmac_secret = '' WHERE device_id = 'signed'")
    }
    #expect(try await devices.list().allSatisfy { $0.hmacSecret == nil })
  }

  @Test(arguments: StoreEngine.all) func profileIsPersistedWithTheState(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    _ = try await fixture.device("native")
    _ = try await fixture.device("unknown")
    let states = fixture.store.deviceStates
    try await states.upsert([
      DeviceStateRecord(
        deviceId: "native", channel: .power, power: .on, online: true, lastSeenAt: 5, profile: .native, updatedAt: 5),
      DeviceStateRecord(
        deviceId: "unknown", channel: .power, power: .unknown, online: nil, lastSeenAt: nil, updatedAt: 1),
    ])
    let loaded = Dictionary(uniqueKeysWithValues: try await states.loadAll().map { ($0.deviceId, $0) })
    #expect(loaded["native"]?.profile == .native)
    #expect(loaded["unknown"]?.profile == nil)
    try await states.upsert([
      DeviceStateRecord(
        deviceId: "native", channel: .power, power: .off, online: true, lastSeenAt: 6, profile: .tasmota, updatedAt: 6)
    ])
    #expect(try await states.loadAll().first { $0.deviceId == "native" }?.profile == .tasmota)
  }
}

@Suite struct RefusedCommandStoreTests {
  /// A native lamp's refusal ends a pending command FAILED with its code, once: a command already acknowledged or
  /// timed out keeps its outcome.
  @Test(arguments: StoreEngine.all) func refusalIsWrittenOnlyWhilePending(engine: StoreEngine) async throws {
    let fixture = try await StoreFixture(engine)
    let device = try await fixture.device("lampu-s")
    let logs = fixture.store.commandLogs
    func log(_ id: String) -> NewCommandLog {
      NewCommandLog(
        requestId: id, deviceInternalId: device.id, deviceId: device.deviceId, channel: .power, action: .on,
        origin: .user, issuedAt: 1_000, expiresAt: 4_000)
    }
    let pending = try await logs.insert(log("signed-1"))
    #expect(try await logs.markRefused(pending.id, error: "SIGNATURE_INVALID"))
    let refused = try #require(try await logs.byId(pending.id))
    #expect(refused.status == .failed && refused.error == "SIGNATURE_INVALID" && refused.ackStatus == AckStatus.none)
    #expect(!(try await logs.markAcked(pending.id, ackedAt: 2_000, latencyMs: 5)), "the outcome is final")

    let acked = try await logs.insert(log("signed-2"))
    #expect(try await logs.markAcked(acked.id, ackedAt: 1_010, latencyMs: 10))
    #expect(!(try await logs.markRefused(acked.id, error: "REPLAYED")))
    #expect(try await logs.byId(acked.id)?.status == .acked)
  }
}
