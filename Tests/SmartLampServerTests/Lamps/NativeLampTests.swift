import DeviceSimulator
import Foundation
import MQTT
import SmartLampCore
import SmartLampStore
import Tasmota
import TestSupport
import Testing

@testable import SmartLampServer

/// The native profile end to end (issue #11) through a real Mosquitto and the real server: native lamps simulated
/// by `DeviceSimulator` (`home/<id>/status`, `home/<id>/lwt`, no Tasmota replies at all), so every state change and
/// acknowledgement seen here can only have come from the native reports.
@Suite(.serialized) struct NativeLampTests {
  static let secret = "f43a301812844e47ab5908ebae902934"

  static func nativeLamp(_ topic: String, secret: String? = nil) -> SimulatedDeviceConfiguration {
    var device = SimulatedDeviceConfiguration(
      topic: topic, friendlyName: topic, relays: 1, mac: "02AB4C000001", ipAddress: "10.77.0.1")
    device.profile = .native
    device.secret = secret
    return device
  }

  static func simulator(_ env: LampEnv, _ devices: [SimulatedDeviceConfiguration]) throws -> DeviceSimulator {
    try DeviceSimulator(
      configuration: DeviceSimulatorConfiguration(brokerURL: env.brokerURL, devices: devices),
      logger: DiscoveryAndDemoTests.quietLogger())
  }

  @Test func nativeLampIsSeenSwitchedAndAcknowledged() async throws {
    try await LampEnv.with { env in
      // Registered in another case than the lamp writes its id: ids map case-insensitively.
      try await env.createDevice("teras", mqtt: "LAMPU-TERAS")
      let before = try await env.call(.get, "/api/v1/devices/teras")
      #expect(before.data?["profile"]?.lampIsNull == true, "unknown until the lamp is heard")
      #expect(before.data?["hasSecret"]?.lampBool == false)

      let simulator = try Self.simulator(env, [Self.nativeLamp("lampu-teras")])
      let run = Task { await simulator.run() }
      try await poll("native lamp online") {
        let status = try await env.call(.get, "/api/v1/devices/teras/status").data
        return status?["online"]?.lampBool == true && status?["source"]?.string == "device"
      }
      let status = try await env.call(.get, "/api/v1/devices/teras/status")
      #expect(status.data?["power"]?.string == "OFF")
      #expect(status.data?["profile"]?.string == "native")
      #expect(try await env.call(.get, "/api/v1/devices/teras").data?["profile"]?.string == "native")

      let on = try await env.execute("teras", "ON", requestID: "native-on-1")
      #expect(on.data?["status"]?.string == "ACKED", "\(on.body)")
      #expect((on.data?["ackLatencyMs"]?.lampInt ?? -1) >= 0)
      #expect(simulator.relays(of: "lampu-teras") == [.on])
      try await poll("reported ON") {
        try await env.call(.get, "/api/v1/devices/teras/status").data?["power"]?.string == "ON"
      }

      // Malformed native reports are never applied: the lamp's state stays ON.
      let raw = MQTTClient(
        configuration: try MQTTClientConfiguration(url: env.brokerURL, clientID: "raw-\(UUID().uuidString.prefix(6))"))
      try await raw.connect()
      for payload in [
        #"{"deviceId":"lampu-teras","power":0}"#, #"{"deviceId":"lampu-teras","power":"OFF","ts":"now"}"#,
        #"{"deviceId":"someone-else","power":"OFF"}"#, String(repeating: "x", count: 5000),
      ] {
        try await raw.publish(topic: "home/lampu-teras/status", payload: payload, qos: .atLeastOnce)
      }
      let off = try await env.execute("teras", "OFF")
      #expect(off.data?["status"]?.string == "ACKED")
      let after = try await env.call(.get, "/api/v1/devices/teras/status")
      #expect(after.data?["power"]?.string == "OFF")

      // Its Will: the lamp vanishes, the broker publishes OFFLINE.
      await simulator.goOffline("lampu-teras")
      try await poll("offline through the Will") {
        try await env.call(.get, "/api/v1/devices/teras/status").data?["online"]?.lampBool == false
      }
      simulator.comeBack("lampu-teras")
      try await poll("online again") {
        try await env.call(.get, "/api/v1/devices/teras/status").data?["online"]?.lampBool == true
      }
      await raw.disconnect()
      run.cancel()
      await run.value
    }
  }

  @Test func signedCommandsAreAcknowledgedByRequestIdAndRefusalsFailWithTheLampsCode() async throws {
    try await LampEnv.with { env in
      try await env.createDevice("kamar", mqtt: "lampu-kamar")
      let observer = try await Observer.start(url: env.brokerURL, filter: "cmnd/lampu-kamar/+")
      // The lamp has a secret; the server does not know it yet.
      let simulator = try Self.simulator(env, [Self.nativeLamp("lampu-kamar", secret: Self.secret)])
      let run = Task { await simulator.run() }
      try await poll("online") {
        try await env.call(.get, "/api/v1/devices/kamar/status").data?["online"]?.lampBool == true
      }
      let stream = try await SSEClient.open(port: env.port, token: env.adminToken)
      let events = stream.events

      // A plain command to a lamp with a secret is refused (SIGNATURE_REQUIRED names no request, but every plain
      // command meets it): FAILED with that code, never acknowledged by the refusal's power, which equals OFF.
      let plain = try await env.execute("kamar", "OFF", requestID: "plain-1")
      #expect(plain.data?["status"]?.string == "FAILED", "\(plain.body)")
      #expect(plain.data?["error"]?.string == "SIGNATURE_REQUIRED")

      // The server learns the secret (write-only: never in an answer).
      let patched = try await env.call(
        .patch, "/api/v1/devices/kamar", json: "{\"hmacSecret\":\"\(Self.secret)\"}", idempotencyKey: "secret-1")
      #expect(patched.status == 200, "\(patched.body)")
      #expect(patched.data?["hasSecret"]?.lampBool == true)
      #expect(patched.data?["hmacSecret"] == nil)
      let listed = try await env.call(.get, "/api/v1/devices")
      #expect(!"\(listed.body)".contains(Self.secret))

      let signed = try await env.execute("kamar", "ON", requestID: "signed-on-1")
      #expect(signed.data?["status"]?.string == "ACKED", "\(signed.body)")
      #expect(simulator.relays(of: "lampu-kamar") == [.on])
      let envelopeText = try #require(observer.messages.last { $0.payload.hasPrefix("{") }?.payload)
      let (envelope, sig) = try #require(NativeEnvelope.parse(Array(envelopeText.utf8)))
      #expect(envelope.requestID == "signed-on-1" && envelope.deviceID == "lampu-kamar" && envelope.action == .on)
      #expect(sig == NativeCommandSigner.signature(envelope, secret: try DeviceSecret(Self.secret)))
      #expect(!envelopeText.contains(Self.secret))
      try await poll("audit ACKED") {
        try await env.call(.get, "/api/v1/commands/signed-on-1").data?["status"]?.string == "ACKED"
      }

      // The lamp is reflashed with another secret: it refuses our envelope, naming its request id.
      run.cancel()
      await run.value
      let reflashed = try Self.simulator(env, [Self.nativeLamp("lampu-kamar", secret: "another-secret-0123456789")])
      let rerun = Task { await reflashed.run() }
      try await poll("back online") { reflashed.isOnline("lampu-kamar") }
      let refused = try await env.execute("kamar", "OFF", requestID: "signed-off-2")
      #expect(refused.status == 200)
      #expect(refused.data?["status"]?.string == "FAILED", "\(refused.body)")
      #expect(refused.data?["error"]?.string == "SIGNATURE_INVALID")
      try await poll("audit FAILED with the lamp's code") {
        let audit = try await env.call(.get, "/api/v1/commands/signed-off-2").data
        return audit?["status"]?.string == "FAILED" && audit?["error"]?.string == "SIGNATURE_INVALID"
      }
      let failedEvent = try await events.next(within: .seconds(5), "FAILED command event") { frame in
        frame.type == "command" && frame.json?["requestId"]?.string == "signed-off-2"
          && frame.json?["status"]?.string == "FAILED"
      }
      #expect(failedEvent?.json?["error"]?.string == "SIGNATURE_INVALID")
      #expect(reflashed.relays(of: "lampu-kamar") == [.off], "a fresh lamp starts OFF and did not switch")
      let state = try await env.call(.get, "/api/v1/devices/kamar/status")
      #expect(state.data?["power"]?.string == "OFF")

      // Cleared: plain commands again (this lamp refuses them; one without a secret would switch).
      let cleared = try await env.call(
        .patch, "/api/v1/devices/kamar", json: "{\"hmacSecret\":null}", idempotencyKey: "secret-2")
      #expect(cleared.data?["hasSecret"]?.lampBool == false)
      _ = try await env.execute("kamar", "ON", waitForAck: false, requestID: "plain-2")
      try await poll("plain payload published") { observer.messages.last?.payload == "ON" }

      await stream.close()
      await observer.stop()
      rerun.cancel()
      await rerun.value
    }
  }

  /// A secret written by another process (the CLI, another instance) reaches the running server's command path
  /// through the devices table's signature, without a restart.
  @Test func secretSetByAnotherProcessIsUsedWithoutARestart() async throws {
    let folder = TemporaryDirectory(prefix: "smartlamp-native")
    let path = folder.file("shared.sqlite")
    try await LampEnv.with({ configuration in
      configuration.database = .sqlite(path: path)
      configuration.databaseURL = "sqlite://" + path
    }) { env in
      try await env.createDevice("solo", mqtt: "lampu-solo")
      let simulator = try Self.simulator(env, [Self.nativeLamp("lampu-solo", secret: Self.secret)])
      let run = Task { await simulator.run() }
      try await poll("online") {
        try await env.call(.get, "/api/v1/devices/solo/status").data?["online"]?.lampBool == true
      }
      let other = try SQLiteDatabase(path: path)
      _ = try await Store(database: other).devices.update(
        "solo", DeviceChanges(hmacSecret: .some(try DeviceSecret(Self.secret))))
      try await other.close()
      try await poll("the server noticed the secret", timeout: .seconds(10)) {
        try await env.call(.get, "/api/v1/devices/solo").data?["hasSecret"]?.lampBool == true
      }
      let signed = try await env.execute("solo", "ON")
      #expect(signed.data?["status"]?.string == "ACKED", "\(signed.body)")
      #expect(simulator.relays(of: "lampu-solo") == [.on])
      run.cancel()
      await run.value
    }
  }

  @Test func secretFieldIsValidatedAndWriteOnly() async throws {
    try await LampEnv.with { env in
      let created = try await env.call(
        .post, "/api/v1/devices",
        json: #"{"deviceId":"dapur","name":"Dapur","hmacSecret":"dapur-secret-9b1c-abcdef"}"#, idempotencyKey: "c-1")
      #expect(created.status == 201, "\(created.body)")
      #expect(created.data?["hasSecret"]?.lampBool == true)
      #expect(!"\(created.body)".contains("dapur-secret"))
      for (body, message) in [
        (#"{"hmacSecret":"short"}"#, "must be 16–128 characters"),
        (#"{"hmacSecret":"with spaces inside it"}"#, "must be printable ASCII without spaces"),
        (#"{"hmacSecret":12345678901234567}"#, "must be a string"),
      ] {
        let reply = try await env.call(.patch, "/api/v1/devices/dapur", json: body, idempotencyKey: UUID().uuidString)
        #expect(reply.status == 400, "\(body)")
        #expect(
          reply.body["error"]?["details"]?["fieldErrors"]?["hmacSecret"]?.lampArray?.first?.string == message,
          "\(reply.body)")
      }
      let unsignable = try await env.call(
        .post, "/api/v1/devices",
        json: #"{"deviceId":"x","mqttDeviceId":"lampu|x","name":"X","hmacSecret":"0123456789abcdef"}"#,
        idempotencyKey: "c-2")
      #expect(unsignable.status == 400)
      #expect(unsignable.body["error"]?["details"]?["fieldErrors"]?["hmacSecret"] != nil)
      #expect(try await env.call(.get, "/api/v1/devices/dapur").data?["hasSecret"]?.lampBool == true)
    }
  }

  @Test func discoveryListsNativeLampsBesideTasmotaOnes() async throws {
    try await LampEnv.with { env in
      var tasmota = SimulatedDeviceConfiguration(index: 1, prefix: "disc")
      tasmota.teleperiod = .zero
      let simulator = try Self.simulator(env, [Self.nativeLamp("lampu-garasi"), tasmota])
      let run = Task { await simulator.run() }
      try await poll("both listed") {
        let devices = try await env.call(.get, "/api/v1/devices/discovery").data?["devices"]?.lampArray ?? []
        return devices.count == 2
      }
      let devices = try await env.call(.get, "/api/v1/devices/discovery?waitMs=3000").data?["devices"]?.lampArray ?? []
      let native = try #require(devices.first { $0["mqttDeviceId"]?.string == "lampu-garasi" })
      #expect(native["profile"]?.string == "native")
      #expect(native["online"]?.lampBool == true)
      #expect(native["power"]?.string == "OFF")
      #expect(native["commandChannel"]?.string == "POWER")
      #expect(native["sources"]?.lampArray?.contains(.string("home_lwt")) == true)
      #expect(native["suggestedName"]?.string == "Lampu Garasi")
      let other = try #require(devices.first { $0["mqttDeviceId"]?.string == tasmota.topic })
      #expect(other["profile"]?.string == "tasmota")
      run.cancel()
      await run.value
    }
  }
}
