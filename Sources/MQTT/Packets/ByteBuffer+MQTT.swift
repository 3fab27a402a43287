import NIOCore

/// Primitive encodings shared by every packet: UTF-8 strings and binary fields with a 16-bit length prefix,
/// and the fixed header's variable-length "remaining length".
extension ByteBuffer {
  /// The largest value the four-byte variable-length integer can carry (268 435 455).
  static let maxRemainingLength = 268_435_455

  mutating func writeMQTTString(_ string: String) throws(MQTTError) {
    try validateMQTTString(string)
    let count = string.utf8.count
    guard count <= UInt16.max else { throw .protocolError("string longer than 65535 bytes") }
    writeInteger(UInt16(count))
    writeString(string)
  }

  mutating func writeMQTTBinary(_ bytes: ByteBuffer) throws(MQTTError) {
    guard bytes.readableBytes <= UInt16.max else { throw .protocolError("binary field longer than 65535 bytes") }
    writeInteger(UInt16(bytes.readableBytes))
    writeImmutableBuffer(bytes)
  }

  mutating func readMQTTString() throws(MQTTError) -> String {
    guard let length = readInteger(as: UInt16.self) else { throw .protocolError("truncated string length") }
    guard let bytes = readSlice(length: Int(length)) else { throw .protocolError("truncated string") }
    // Invalid UTF-8 must close the connection [MQTT-1.5.3-1], so decode strictly instead of repairing.
    guard let string = String(validating: bytes.readableBytesView, as: UTF8.self) else {
      throw .protocolError("string is not valid UTF-8")
    }
    try validateMQTTString(string)
    return string
  }

  mutating func readMQTTBinary() throws(MQTTError) -> ByteBuffer {
    guard let length = readInteger(as: UInt16.self) else { throw .protocolError("truncated binary length") }
    guard let bytes = readSlice(length: Int(length)) else { throw .protocolError("truncated binary field") }
    return bytes
  }

  mutating func readPacketID() throws(MQTTError) -> UInt16 {
    guard let id = readInteger(as: UInt16.self) else { throw .protocolError("truncated packet identifier") }
    guard id != 0 else { throw .protocolError("packet identifier 0") }
    return id
  }

  /// Writes `value` as a variable-length integer at `index` without moving the writer index; returns the bytes used.
  @discardableResult
  mutating func setRemainingLength(_ value: Int, at index: Int) -> Int {
    var value = value
    var offset = 0
    repeat {
      var byte = UInt8(value & 0x7F)
      value >>= 7
      if value > 0 { byte |= 0x80 }
      setInteger(byte, at: index + offset)
      offset += 1
    } while value > 0
    return offset
  }

  static func remainingLengthSize(_ value: Int) -> Int {
    switch value {
    case ..<128: 1
    case ..<16_384: 2
    case ..<2_097_152: 3
    default: 4
    }
  }
}

/// U+0000 is forbidden in MQTT strings [MQTT-1.5.3-2]; Swift strings are always valid Unicode otherwise.
@inline(__always)
func validateMQTTString(_ string: String) throws(MQTTError) {
  if utf8Contains(string, where: { $0 == 0 }) { throw .protocolError("string contains U+0000") }
}

/// Whether a byte of `string`'s UTF-8 satisfies `predicate`, scanning its contiguous bytes when it has them (native
/// strings do: no per-byte String.UTF8View indexing, which perf showed on every publish's topic checks).
@inline(__always)
func utf8Contains(_ string: String, where predicate: (UInt8) -> Bool) -> Bool {
  string.utf8.withContiguousStorageIfAvailable { $0.contains(where: predicate) }
    ?? string.utf8.contains(where: predicate)
}
