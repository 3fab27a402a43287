/// The nonces of the last accepted envelopes (bounded: 32 entries of a 16-byte digest), plus a floor: an envelope
/// issued at or before the floor is refused because the lamp may have forgotten its nonce. Evicting an entry
/// raises the floor to its `issuedAt`; after a reboot the floor is the persisted high-water mark (the newest
/// accepted `issuedAt`), so nothing accepted before a power cut can be replayed after it.
public struct NonceMemory: Sendable {
  public static let capacity = 32

  var first = InlineArray<32, UInt64>(repeating: 0)
  var second = InlineArray<32, UInt64>(repeating: 0)
  var issued = InlineArray<32, UInt64>(repeating: 0)
  public private(set) var count = 0
  /// Envelopes with `issuedAt <= floor` are refused as replayed.
  public private(set) var floor: UInt64
  /// The newest accepted `issuedAt` (persisted).
  public private(set) var highWater: UInt64

  public init(highWater: UInt64) {
    self.floor = highWater
    self.highWater = highWater
  }

  public func isReplay<let capacity: Int>(nonce: borrowing FixedBytes<capacity>, issuedAt: UInt64) -> Bool {
    if issuedAt <= floor { return true }
    let (a, b) = NonceMemory.digest(nonce)
    for index in 0..<count where first[index] == a && second[index] == b { return true }
    return false
  }

  public mutating func remember<let capacity: Int>(nonce: borrowing FixedBytes<capacity>, issuedAt: UInt64) {
    let (a, b) = NonceMemory.digest(nonce)
    var slot = count
    if count == NonceMemory.capacity {
      slot = 0
      for index in 1..<count where issued[index] < issued[slot] { slot = index }
      if issued[slot] > floor { floor = issued[slot] }
    } else {
      count += 1
    }
    first[slot] = a
    second[slot] = b
    issued[slot] = issuedAt
    if issuedAt > highWater { highWater = issuedAt }
  }

  static func digest<let capacity: Int>(_ nonce: borrowing FixedBytes<capacity>) -> (UInt64, UInt64) {
    var hasher = SHA256()
    hasher.update(nonce)
    let digest = hasher.finalize()
    var a: UInt64 = 0
    var b: UInt64 = 0
    for index in 0..<8 {
      a = a &<< 8 | UInt64(digest.bytes[index])
      b = b &<< 8 | UInt64(digest.bytes[index + 8])
    }
    return (a, b)
  }
}
