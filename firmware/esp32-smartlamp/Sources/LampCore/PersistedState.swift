/// What survives a power cut: the relay state and the nonce high-water mark. Stored as a 16-byte record
/// (`S`, `L`, version 1, power, 8-byte little-endian high-water mark, 4-byte SHA-256 prefix as checksum) that the
/// platform writes as it likes (an NVS blob on the device, a file on the host); a record that fails the check is
/// ignored.
public struct PersistedState: Sendable, Equatable {
  public static let recordLength = 16

  public var power: Bool
  public var nonceHighWater: UInt64

  public init(power: Bool, nonceHighWater: UInt64) {
    self.power = power
    self.nonceHighWater = nonceHighWater
  }

  public func encode() -> FixedBytes<16> {
    var record = FixedBytes<16>()
    record.append(0x53)
    record.append(0x4C)
    record.append(1)
    record.append(power ? 1 : 0)
    for shift in 0..<8 { record.append(UInt8(truncatingIfNeeded: nonceHighWater &>> UInt64(shift * 8))) }
    let check = record.withSpan { SHA256.hash($0) }
    for index in 0..<4 { record.append(check.bytes[index]) }
    return record
  }

  /// Decodes a record; nil when it is not exactly a valid version-1 record.
  public init?(record: Span<UInt8>) {
    guard record.count == PersistedState.recordLength, record[0] == 0x53, record[1] == 0x4C, record[2] == 1,
      record[3] <= 1
    else { return nil }
    let check = SHA256.hash(record.extracting(0..<12))
    for index in 0..<4 where record[12 + index] != check.bytes[index] { return nil }
    var highWater: UInt64 = 0
    for index in 0..<8 { highWater |= UInt64(record[4 + index]) &<< UInt64(index * 8) }
    self.init(power: record[3] == 1, nonceHighWater: highWater)
  }
}
