import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// An IP address or CIDR range (IPv4 or IPv6) from `http.trusted-proxies`, matched against socket peers.
struct IPMatcher: Sendable, Equatable {
  private let network: [UInt8]
  private let prefixLength: Int

  init?(_ text: String) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count <= 2, let bytes = Self.bytes(of: String(parts[0])) else { return nil }
    let maxPrefix = bytes.count * 8
    if parts.count == 2 {
      guard let prefix = Int(parts[1]), (0...maxPrefix).contains(prefix) else { return nil }
      prefixLength = prefix
    } else {
      prefixLength = maxPrefix
    }
    network = bytes
  }

  func contains(_ address: String) -> Bool {
    guard var bytes = Self.bytes(of: address) else { return false }
    // An IPv4 peer may arrive as IPv4-mapped IPv6 (::ffff:a.b.c.d).
    if bytes.count == 16, network.count == 4, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff,
      bytes[11] == 0xff
    {
      bytes = Array(bytes[12...])
    }
    guard bytes.count == network.count else { return false }
    var remaining = prefixLength
    for index in 0..<bytes.count where remaining > 0 {
      let bits = min(8, remaining)
      let mask: UInt8 = bits == 8 ? 0xff : ~(0xff >> UInt8(bits))
      if bytes[index] & mask != network[index] & mask { return false }
      remaining -= bits
    }
    return true
  }

  static func bytes(of text: String) -> [UInt8]? {
    var v4 = in_addr()
    if inet_pton(AF_INET, text, &v4) == 1 {
      return withUnsafeBytes(of: &v4) { Array($0) }
    }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, text, &v6) == 1 {
      return withUnsafeBytes(of: &v6) { Array($0) }
    }
    return nil
  }
}
