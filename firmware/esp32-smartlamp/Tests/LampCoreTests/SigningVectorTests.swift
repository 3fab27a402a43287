import Foundation
import LampCore
import Testing

/// The shared vectors in TestVectors/signing.json (made with Python's hmac, read by the server's tests too):
/// the lamp's canonical string, its HMAC and its verdict must match every case.
@Suite struct SigningVectorTests {
  struct Case: Sendable, CustomTestStringConvertible {
    let name: String
    let deviceId: String
    let secret: String
    let nowMs: UInt64
    let after: [String]
    let topic: String
    let payload: String
    let expect: String
    let power: String?
    let canonical: String?
    let signingSecret: String?
    let sig: String?
    var testDescription: String { name }
  }

  static let vectorsURL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("TestVectors/signing.json")

  static func load() -> [Case] {
    guard let data = try? Data(contentsOf: vectorsURL),
      let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let cases = root["cases"] as? [[String: Any]]
    else { return [] }
    return cases.map { item in
      let lamp = item["lamp"] as? [String: Any] ?? [:]
      let envelope = item["envelope"] as? [String: Any]
      return Case(
        name: item["name"] as? String ?? "?",
        deviceId: lamp["deviceId"] as? String ?? "",
        secret: lamp["secret"] as? String ?? "",
        nowMs: (lamp["nowMs"] as? NSNumber)?.uint64Value ?? 0,
        after: item["after"] as? [String] ?? [],
        topic: item["topic"] as? String ?? "",
        payload: item["payload"] as? String ?? "",
        expect: item["expect"] as? String ?? "",
        power: item["power"] as? String,
        canonical: item["canonical"] as? String,
        signingSecret: item["signingSecret"] as? String,
        sig: envelope?["sig"] as? String)
    }
  }

  @Test func vectorFileIsPresentAndCoversEveryRefusal() {
    let cases = Self.load()
    let expectations = Set(cases.map(\.expect))
    for code in [
      "ACCEPT", "SIGNATURE_INVALID", "EXPIRED", "NOT_YET_VALID", "LIFETIME_TOO_LONG", "REPLAYED", "WRONG_DEVICE",
      "UNKNOWN_ACTION", "MALFORMED", "NO_SECRET", "SIGNATURE_REQUIRED",
    ] {
      #expect(expectations.contains(code), "no vector expects \(code)")
    }
  }

  @Test(arguments: load())
  func lampReachesTheVectorsVerdict(_ vector: Case) throws {
    var harness = Harness(id: vector.deviceId, secret: vector.secret, wallMs: vector.nowMs)
    harness.bootConnected()
    for earlier in vector.after { harness.send(vector.topic, earlier) }
    _ = harness.effects.take()
    let before = harness.lamp.power
    harness.send(vector.topic, vector.payload)
    let statuses = harness.effects.publishes(on: "home/\(vector.deviceId)/status")
    let last = try #require(statuses.last, "no status published")
    let report = try Array(last.payload.utf8).withUnsafeBufferPointer { bytes throws(JSONError) in
      try StatusReport.parse(bytes)
    }
    if vector.expect == "ACCEPT" {
      #expect(report.error == nil)
      #expect(last.retain, "an accepted command's status is retained")
      #expect((report.power ? "ON" : "OFF") == vector.power)
      #expect(harness.lamp.power == (vector.power == "ON"))
    } else {
      var code = FixedBytes<24>()
      if let error = report.error { code.append(error.code) }
      #expect(code.string == vector.expect)
      #expect(!last.retain, "a refusal report is not retained")
      #expect(harness.lamp.power == before, "a refused command must not switch the lamp")
      #expect(!harness.effects.actions.contains { if case .relay = $0 { true } else { false } })
    }
  }

  @Test(arguments: load().filter { $0.canonical != nil })
  func canonicalStringAndSignatureMatchPython(_ vector: Case) throws {
    var envelope = SignedEnvelope()
    let parsed = Array(vector.payload.utf8).withUnsafeBufferPointer { bytes -> Bool in
      do throws(Refusal) {
        try envelope.parse(bytes)
        return true
      } catch {
        return false
      }
    }
    guard parsed else { return }  // the malformed cases stop at parsing, as the lamp does
    var canonical = FixedBytes<320>()
    envelope.writeCanonical(into: &canonical)
    #expect(canonical.string == vector.canonical)
    if let signingSecret = vector.signingSecret, let sig = vector.sig {
      let key = FixedBytes<128>(Array(signingSecret.utf8).span)
      #expect(CryptoTests.hex(envelope.expectedSignature(secret: key)) == sig)
    }
  }
}
