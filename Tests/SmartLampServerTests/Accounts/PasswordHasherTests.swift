import Foundation
import SmartLampStore
import Testing

@testable import SmartLampServer

/// password.test.ts and UPSTREAM §4.7: every stored format verifies, and all but current bcrypt are upgraded.
@Suite struct PasswordHasherTests {
  let hasher = PasswordHasher(cost: 4)

  @Test func newHashesAreBcryptAndVerifyWithoutRehash() async throws {
    let hash = try await hasher.hash("admin12345")
    #expect(hash.hasPrefix("$2b$04$"))
    #expect(try await hasher.verify("admin12345", against: hash) == .init(matches: true, needsRehash: false))
    #expect(try await hasher.verify("admin12346", against: hash).matches == false)
    #expect(try await PasswordHasher(cost: 5).verify("admin12345", against: hash).needsRehash)
  }

  @Test func legacySHA256AndUpstreamSeedBcryptVerifyAndAskForUpgrade() async throws {
    let sha = "41e5653fc7aeb894026d6bb7b2db7f65902b454945fa8fd65a6327047b5277fb"
    #expect(try await hasher.verify("admin12345", against: sha) == .init(matches: true, needsRehash: true))
    #expect(try await hasher.verify("admin12345", against: sha.uppercased()).matches)
    #expect(try await hasher.verify("wrong-pass", against: sha).matches == false)
    let seed = "$2b$12$pE5REBOZ19Ad.9CSB13J1O/n7nID3CKOq5dWd.XLOVlAHFLHEKTX."
    #expect(try await hasher.verify("admin12345", against: seed) == .init(matches: true, needsRehash: true))
    let phpStyle = "$2y$" + seed.dropFirst(4)
    #expect(try await hasher.verify("admin12345", against: String(phpStyle)).matches)
  }

  @Test func pbkdf2MatchesTheRFCVectorsAndUpstreamFormat() async throws {
    // RFC 7914 §11 / common PBKDF2-HMAC-SHA256 vectors.
    #expect(
      Hex.encode(
        try PBKDF2.sha256(password: Array("password".utf8), salt: Array("salt".utf8), iterations: 1, keyLength: 32))
        == "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b")
    #expect(
      Hex.encode(
        try PBKDF2.sha256(password: Array("password".utf8), salt: Array("salt".utf8), iterations: 4096, keyLength: 32))
        == "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a")
    let stored =
      "pbkdf2-sha256$4096$" + Hex.encode(Array("salt".utf8))
      + "$c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"
    #expect(try await hasher.verify("password", against: stored) == .init(matches: true, needsRehash: true))
    #expect(try await hasher.verify("passwore", against: stored).matches == false)
    for broken in [
      "pbkdf2-sha256$0$73616c74$00", "pbkdf2-sha256$x$73616c74$00", "pbkdf2-sha256$1$7$00",
      "pbkdf2-sha256$99999999$73616c74$00", "plain-text", "", "$2b$04$short",
    ] {
      #expect(try await hasher.verify("password", against: broken).matches == false, "\(broken)")
    }
  }

  @Test func loginUpgradesLegacyHashes() async throws {
    let server = Accounts.server()
    try await server.run { client in
      let admin = try await client.session()
      let id = try await client.createUser(admin, email: "legacy@example.com")
      try await server.execute(
        "UPDATE users SET password_hash = ? WHERE id = ?",
        [.text("41e5653fc7aeb894026d6bb7b2db7f65902b454945fa8fd65a6327047b5277fb"), .int64(id)])
      #expect(try await client.login("legacy@example.com", "admin12345").status == .ok)
      let upgraded = try await server.scalar("SELECT password_hash FROM users WHERE id = ?", [.int64(id)])
      guard case .text(let hash)? = upgraded else { Issue.record("no hash"); return }
      #expect(hash.hasPrefix("$2b$04$"))
      #expect(try await client.login("legacy@example.com", "admin12345").status == .ok)
    }
  }

  @Test func secretHelpers() {
    #expect(SecretTokens.sha256Hex("smartlamp") == "1abf8ac5fe4d449a2dbe858d6b9654c827e2353a35515569d9b2041097810235")
    #expect(SecretTokens.base62([0, 0]) == "000")
    #expect(SecretTokens.base62([0xff, 0xff]) == "H31")
    #expect(Hex.decode("0aFf") == [0x0a, 0xff] && Hex.decode("abc") == nil && Hex.decode("zz") == nil)
    #expect(
      ConstantTime.equals([1, 2], [1, 2]) && !ConstantTime.equals([1, 2], [1, 3]) && !ConstantTime.equals([1], [1, 2]))
  }
}
