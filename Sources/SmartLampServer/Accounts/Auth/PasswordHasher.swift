import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix

/// Hashes new passwords with bcrypt and verifies every format the upstream system stored (UPSTREAM §4.7):
/// bcrypt of any cost (`$2a$`, `$2b$`, `$2y$`), `pbkdf2-sha256$<iterations>$<salt hex>$<key hex>` and unsalted
/// SHA-256 hex. Anything slow (bcrypt, PBKDF2) runs on the NIO thread pool, never on the cooperative pool.
public struct PasswordHasher: Sendable {
  public let cost: UInt8

  /// The outcome of a check: whether it matched, and whether the stored hash should be replaced by a new one.
  public struct Verification: Sendable, Equatable {
    public var matches: Bool
    public var needsRehash: Bool
  }

  /// PBKDF2 iteration counts beyond this are refused: a stored value must not be able to stall the server.
  static let maximumPBKDF2Iterations = 5_000_000

  public init(cost: Int = 12) {
    self.cost = UInt8(clamping: min(max(cost, 4), 31))
  }

  public func hash(_ password: String) async throws -> String {
    let cost = self.cost
    return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
  }

  /// Checks `password` against a stored hash of any known format; unknown formats never match.
  public func verify(_ password: String, against stored: String) async throws -> Verification {
    let cost = self.cost
    if let bcrypt = BcryptHash(stored) {
      let normalised = bcrypt.normalised
      let matches = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: normalised) }
      return Verification(matches: matches, needsRehash: matches && (bcrypt.cost != cost || bcrypt.variant != "2b"))
    }
    if let pbkdf2 = PBKDF2Hash(stored) {
      guard pbkdf2.iterations <= Self.maximumPBKDF2Iterations else { return .init(matches: false, needsRehash: false) }
      let matches = try await NIOThreadPool.singleton.runIfActive {
        let derived = try PBKDF2.sha256(
          password: Array(password.utf8), salt: pbkdf2.salt, iterations: pbkdf2.iterations,
          keyLength: pbkdf2.key.count)
        return ConstantTime.equals(derived, pbkdf2.key)
      }
      return Verification(matches: matches, needsRehash: matches)
    }
    if let legacy = Hex.decode(stored), legacy.count == 32 {
      let digest = Array(SHA256.hash(data: Array(password.utf8)))
      let matches = ConstantTime.equals(digest, legacy)
      return Verification(matches: matches, needsRehash: matches)
    }
    return Verification(matches: false, needsRehash: false)
  }
}

/// A parsed bcrypt hash (`$2a$12$…`); `$2y$` is the same algorithm under PHP's name.
struct BcryptHash: Equatable {
  let variant: String
  let cost: UInt8
  let normalised: String

  init?(_ stored: String) {
    let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
    guard parts.count == 4, parts[0].isEmpty, ["2a", "2b", "2y"].contains(parts[1]), parts[2].count == 2,
      let cost = UInt8(parts[2]), (4...31).contains(cost), parts[3].count == 53
    else { return nil }
    variant = String(parts[1])
    self.cost = cost
    // The C implementation refuses `$2y$`; the algorithm is identical, so verify it as `$2b$`.
    normalised = variant == "2y" ? "$2b$" + stored.dropFirst(4) : stored
  }
}

/// A parsed upstream PBKDF2 hash: `pbkdf2-sha256$<iterations>$<salt hex>$<key hex>`.
struct PBKDF2Hash: Equatable {
  let iterations: Int
  let salt: [UInt8]
  let key: [UInt8]

  init?(_ stored: String) {
    let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
    guard parts.count == 4, parts[0] == "pbkdf2-sha256", let iterations = Int(parts[1]), iterations > 0,
      let salt = Hex.decode(parts[2]), let key = Hex.decode(parts[3]), !key.isEmpty, key.count <= 64
    else { return nil }
    self.iterations = iterations
    self.salt = salt
    self.key = key
  }
}
