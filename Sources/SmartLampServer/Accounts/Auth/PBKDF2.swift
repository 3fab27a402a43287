import Crypto
import CryptoExtras

/// PBKDF2-HMAC-SHA256 (RFC 8018), only to verify hashes the upstream system stored; new hashes are bcrypt.
enum PBKDF2 {
  /// swift-crypto's BoringSSL-backed derivation. Its checked variant refuses fewer than 210 000 rounds; upstream
  /// hashes have what they were stored with, and only verifying them is allowed here.
  static func sha256(password: [UInt8], salt: [UInt8], iterations: Int, keyLength: Int) throws -> [UInt8] {
    let key = try KDF.Insecure.PBKDF2.deriveKey(
      from: password, salt: salt, using: .sha256, outputByteCount: keyLength, unsafeUncheckedRounds: iterations)
    return key.withUnsafeBytes { Array($0) }
  }
}
