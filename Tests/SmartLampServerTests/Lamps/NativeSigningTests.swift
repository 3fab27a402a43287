import Foundation
import SmartLampCore
import Tasmota
import TestSupport
import Testing

@testable import SmartLampServer

/// The server's signer against the firmware's shared vectors (`firmware/esp32-smartlamp/TestVectors/signing.json`,
/// made with Python's hmac): for every case with an envelope the canonical string is reproduced, and signing it with
/// the case's `signingSecret` reproduces its `sig`; tampered cases (no signing secret) are not what the lamp's
/// secret signs. The builder refuses exactly the fields the lamp would call MALFORMED.
@Suite struct NativeSigningTests {
  struct Case {
    let name: String
    let expect: String
    let lampSecret: String?
    let signingSecret: String?
    let canonical: String
    let fields: [String: Any]
  }

  static func cases() throws -> [Case] {
    let url = URL(fileURLWithPath: repositoryRoot + "/firmware/esp32-smartlamp/TestVectors/signing.json")
    let root = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    let all = try #require(root["cases"] as? [[String: Any]])
    return all.compactMap { item in
      guard let envelope = item["envelope"] as? [String: Any], let canonical = item["canonical"] as? String else {
        return nil
      }
      let lamp = item["lamp"] as? [String: Any]
      return Case(
        name: item["name"] as? String ?? "?", expect: item["expect"] as? String ?? "?",
        lampSecret: lamp?["secret"] as? String, signingSecret: item["signingSecret"] as? String,
        canonical: canonical, fields: envelope)
    }
  }

  private static func int64(_ value: Any?) -> Int64? {
    if let number = value as? Int { return Int64(number) }
    return (value as? NSNumber)?.int64Value
  }

  @Test func everyVectorIsReproduced() throws {
    let cases = try Self.cases()
    #expect(cases.count >= 20, "the vectors were read")
    var reproduced = 0
    for vector in cases {
      let f = vector.fields
      let deviceID = try #require(f["deviceId"] as? String)
      let action = try #require(f["action"] as? String)
      let requestID = try #require(f["requestId"] as? String)
      let issuedAt = try #require(Self.int64(f["issuedAt"]))
      let expiresAt = try #require(Self.int64(f["expiresAt"]))
      let nonce = try #require(f["nonce"] as? String)
      let sig = try #require(f["sig"] as? String)

      let built = TasmotaPowerAction(rawValue: action).flatMap {
        try? NativeEnvelope(
          deviceID: deviceID, action: $0, requestID: requestID, issuedAt: issuedAt, expiresAt: expiresAt,
          nonce: nonce)
      }
      let joined = [deviceID, action, requestID, String(issuedAt), String(expiresAt), nonce].joined(separator: "|")
      let canonical = built?.canonical ?? joined
      #expect(canonical == vector.canonical, "\(vector.name): canonical string")

      if let secret = vector.signingSecret {
        let signature = NativeCommandSigner.signature(canonical: canonical, key: Array(secret.utf8))
        #expect(signature == sig, "\(vector.name): sig")
        if let built, let key = try? DeviceSecret(secret) {
          #expect(NativeCommandSigner.signature(built, secret: key) == sig, "\(vector.name): sig through DeviceSecret")
        }
        reproduced += 1
      } else if let lampSecret = vector.lampSecret {
        #expect(
          NativeCommandSigner.signature(canonical: canonical, key: Array(lampSecret.utf8)) != sig,
          "\(vector.name): a tampered envelope is not what the lamp's secret signs")
      }

      // What the lamp calls MALFORMED (separator in an id, short nonce …) the server never builds.
      let fieldsValid =
        NativeIdentifier.isValid(deviceID) && NativeIdentifier.isValid(requestID)
        && NativeIdentifier.isValid(nonce, lengths: NativeIdentifier.nonceLengths)
      if !fieldsValid { #expect(built == nil, "\(vector.name): the builder refuses fields the lamp refuses") }
      if vector.expect == "ACCEPT" {
        let envelope = try #require(built, "\(vector.name): an accepted envelope can be built")
        let parsed = try #require(NativeEnvelope.parse(Array(envelope.json(signature: sig).utf8)))
        #expect(parsed.envelope == envelope && parsed.signature == sig)
      }
    }
    #expect(reproduced >= 15)
  }

  @Test func commandPayloadIsPlainWithoutASecretAndSignedWithOne() throws {
    var device = LampDevice.testDevice(id: "teras", mqtt: "lampu-teras")
    let plain = try CommandPayload.make(
      device: device, action: .on, requestId: "req 1 with spaces", issuedAt: 1_764_831_599_000, wireID: nil,
      order: .prefixFirst)
    #expect(plain.topic == "cmnd/lampu-teras/POWER")
    #expect(plain.payload == "ON")
    #expect(plain.wireRequestID == nil)

    let secret = try DeviceSecret("f43a301812844e47ab5908ebae902934")
    device.secret = secret
    device.channel = TasmotaChannel(index: 2)!
    let signed = try CommandPayload.make(
      device: device, action: .off, requestId: "cmd-42", issuedAt: 1_764_831_599_000, wireID: "Lampu-Teras",
      order: .topicFirst)
    #expect(
      signed.topic == "Lampu-Teras/cmnd/POWER",
      "the id as the lamp writes it, in the order it uses, on POWER: the one relay a native lamp acts on")
    let (envelope, sig) = try #require(NativeEnvelope.parse(Array(signed.payload.utf8)))
    #expect(envelope.deviceID == "Lampu-Teras")
    #expect(envelope.action == .off)
    #expect(envelope.requestID == "cmd-42")
    #expect(signed.wireRequestID == "cmd-42")
    #expect(envelope.expiresAt - envelope.issuedAt == 30_000)
    #expect(sig == NativeCommandSigner.signature(envelope, secret: secret))
    #expect(!signed.payload.contains(secret.value), "the secret never goes on the wire")

    // An API request id the lamp cannot carry is replaced on the wire (and the ack matched by the new one).
    let other = try CommandPayload.make(
      device: device, action: .on, requestId: "id with spaces|and bars", issuedAt: 1_764_831_599_000, wireID: nil,
      order: .prefixFirst)
    let wire = try #require(other.wireRequestID)
    #expect(wire.hasPrefix("sl-") && NativeIdentifier.isValid(wire))
    let again = try CommandPayload.make(
      device: device, action: .on, requestId: "cmd-42", issuedAt: 1_764_831_599_000, wireID: nil, order: .prefixFirst)
    #expect(
      NativeEnvelope.parse(Array(again.payload.utf8))?.envelope.nonce != envelope.nonce, "a fresh nonce every time")

    device.mqttDeviceId = "lampu teras"
    #expect(throws: APIError.self) {
      try CommandPayload.make(
        device: device, action: .on, requestId: "x", issuedAt: 1, wireID: nil, order: .prefixFirst)
    }
  }

  @Test func secretsAreValidatedRedactedAndComparedByValue() throws {
    #expect(throws: DeviceSecret.Problem.length) { try DeviceSecret("too-short") }
    #expect(throws: DeviceSecret.Problem.length) { try DeviceSecret(String(repeating: "k", count: 129)) }
    #expect(throws: DeviceSecret.Problem.characters) { try DeviceSecret("has a space in it!!") }
    #expect(throws: DeviceSecret.Problem.characters) { try DeviceSecret("nön-ascii-secret-xx") }
    let secret = try DeviceSecret("s3cret-value-0123456789")
    #expect(!"\(secret)".contains("s3cret") && !String(reflecting: secret).contains("s3cret"))
    #expect(secret == (try DeviceSecret("s3cret-value-0123456789")))
    #expect(secret != (try DeviceSecret("s3cret-value-0123456780")))
    #expect(DeviceSecret(stored: nil) == nil)
    #expect(DeviceSecret(stored: "") == nil)
    #expect(DeviceSecret(stored: "unused-tasmota") == nil, "upstream's placeholder means no secret")
    #expect(DeviceSecret(stored: "legacy-upstream-secret")?.value == "legacy-upstream-secret")
    #expect(DeviceSecret.constantTimeEqual([1, 2, 3], [1, 2, 3]))
    #expect(!DeviceSecret.constantTimeEqual([1, 2, 3], [1, 2]))
    #expect(!DeviceSecret.constantTimeEqual([1, 2, 3], [1, 2, 4]))
  }
}

extension LampDevice {
  /// A registered device without a database row, for pure tests of the command path.
  static func testDevice(id: String, mqtt: String) -> LampDevice {
    LampDevice(
      id: 1, deviceId: id, mqttDeviceId: mqtt, name: id, location: nil, channel: .power, createdAt: "", secret: nil)
  }
}
