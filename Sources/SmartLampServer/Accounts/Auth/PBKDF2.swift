import Crypto

/// PBKDF2-HMAC-SHA256 (RFC 8018), only to verify hashes the upstream system stored; new hashes are bcrypt.
enum PBKDF2 {
  static func sha256(password: [UInt8], salt: [UInt8], iterations: Int, keyLength: Int) -> [UInt8] {
    let key = SymmetricKey(data: password)
    var output: [UInt8] = []
    output.reserveCapacity(keyLength)
    var block: UInt32 = 1
    while output.count < keyLength {
      var mac = HMAC<SHA256>(key: key)
      mac.update(data: salt)
      mac.update(data: withUnsafeBytes(of: block.bigEndian) { Array($0) })
      var u = Array(mac.finalize())
      var t = u
      if iterations > 1 {
        for _ in 1..<iterations {
          u = Array(HMAC<SHA256>.authenticationCode(for: u, using: key))
          for index in t.indices { t[index] ^= u[index] }
        }
      }
      output.append(contentsOf: t.prefix(keyLength - output.count))
      block += 1
    }
    return output
  }
}
