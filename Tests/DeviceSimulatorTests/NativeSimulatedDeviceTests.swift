import Crypto
import DeviceSimulator
import Foundation
import Tasmota
import Testing

/// `smartlamp simulate --profile native` as a pure state machine: the firmware's topics and payloads, plain
/// commands without a secret, and with one only signed envelopes (checked like the firmware checks them).
@Suite struct NativeSimulatedDeviceTests {
  static let secret = "f43a301812844e47ab5908ebae902934"
  static let now: Int64 = 1_764_831_600_000

  private func lamp(secret: String? = nil) -> SimulatedDevice {
    var configuration = SimulatedDeviceConfiguration(index: 3, prefix: "lampu", relays: 4)
    configuration.profile = .native
    configuration.secret = secret
    return SimulatedDevice(configuration: configuration)
  }

  private func send(_ device: inout SimulatedDevice, _ payload: String, suffix: String = "POWER") -> SimulatorReply {
    device.handle(
      topic: "cmnd/\(device.configuration.topic)/\(suffix)", payload: Array(payload.utf8), uptimeSeconds: 1,
      nowMillis: Self.now)
  }

  private func status(_ reply: SimulatorReply) throws -> NativeStatus {
    let message = try #require(reply.messages.first)
    guard case .status(let status) = NativeMessage.parse(topic: message.topic, payload: message.payload) else {
      throw SimulatorTestError("not a native status: \(message)")
    }
    return status
  }

  /// The server's envelope, made here with the same HMAC the firmware vectors use.
  private func envelope(
    _ device: SimulatedDevice, action: TasmotaPowerAction, requestID: String, secret: String = secret,
    nonce: String = UUID().uuidString, issuedAt: Int64 = now - 1000, deviceID: String? = nil
  ) throws -> String {
    let envelope = try NativeEnvelope(
      deviceID: deviceID ?? device.configuration.topic, action: action, requestID: requestID, issuedAt: issuedAt,
      expiresAt: issuedAt + 30_000, nonce: nonce)
    return envelope.json(signature: hmacHex(secret, envelope.canonical))
  }

  @Test func announcesItselfLikeTheFirmware() throws {
    var device = lamp()
    #expect(device.relays == [.off], "a native lamp has one relay")
    #expect(device.will == SimulatorMessage(topic: "home/lampu_000003/lwt", payload: "OFFLINE", retain: true))
    let first = device.connectedMessages(nowMillis: Self.now)
    #expect(first.map(\.topic) == ["home/lampu_000003/lwt", "home/lampu_000003/status"])
    #expect(first.allSatisfy { $0.retain })
    #expect(first[0].payload == "ONLINE")
    guard case .status(let boot) = NativeMessage.parse(topic: first[1].topic, payload: first[1].payload) else {
      Issue.record("boot status unreadable by the server's parser")
      return
    }
    #expect(boot.reason == "boot" && boot.power == .off && boot.timestamp == Self.now && boot.rssi != nil)
    let again = device.connectedMessages(nowMillis: Self.now)
    #expect(again[1].payload.contains("\"reason\":\"reconnect\""))
  }

  @Test func plainCommandsWithoutASecret() throws {
    var device = lamp()
    let on = send(&device, "ON")
    #expect(device.relays == [.on])
    #expect(try status(on).reason == "command")
    #expect(on.messages.first?.retain == true)
    #expect(on.messages.allSatisfy { !$0.topic.hasPrefix("stat/") }, "no Tasmota replies")
    _ = send(&device, "toggle")
    #expect(device.relays == [.off])
    let query = send(&device, "")
    #expect(try status(query).reason == "query")
    let bad = send(&device, "BLINK")
    #expect(try status(bad).error == "MALFORMED")
    #expect(bad.messages.first?.retain == false, "refusals are not retained")
    #expect(send(&device, "ON", suffix: "STATUS").outcome == .ignored)
    let signed = send(&device, try envelope(device, action: .on, requestID: "r-1"))
    #expect(try status(signed).error == "NO_SECRET")
    #expect(try status(signed).requestID == "r-1")
  }

  @Test func withASecretOnlyValidEnvelopesSwitch() throws {
    var device = lamp(secret: Self.secret)
    #expect(try status(send(&device, "ON")).error == "SIGNATURE_REQUIRED")
    #expect(device.relays == [.off])
    #expect(try status(send(&device, "")).reason == "query", "a state query is still answered")

    let forged = try envelope(device, action: .on, requestID: "forged-1", secret: "guessed-secret-0000")
    let refusal = try status(send(&device, forged))
    #expect(refusal.error == "SIGNATURE_INVALID" && refusal.requestID == "forged-1")
    let foreign = try envelope(device, action: .on, requestID: "other-1", deviceID: "lampu_999999")
    #expect(try status(send(&device, foreign)).error == "WRONG_DEVICE")
    let expired = try envelope(device, action: .on, requestID: "old-1", issuedAt: Self.now - 120_000)
    #expect(try status(send(&device, expired)).error == "EXPIRED")
    #expect(device.relays == [.off])

    let valid = try envelope(device, action: .on, requestID: "req-ok", nonce: "nonce-0001-aaaa")
    let accepted = try status(send(&device, valid))
    #expect(accepted.error == nil && accepted.requestID == "req-ok" && accepted.power == .on)
    #expect(device.relays == [.on])
    #expect(try status(send(&device, valid)).error == "REPLAYED")
  }
}

struct SimulatorTestError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// Lowercase hex HMAC-SHA256, as the server signs.
func hmacHex(_ secret: String, _ message: String) -> String {
  HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: Array(secret.utf8)))
    .map { String(format: "%02x", $0) }.joined()
}
