import NIOCore

/// Splits a byte stream into ``MQTTPacket``s, one at a time.
///
/// Bounded by construction: the remaining length stops after four bytes, a packet announcing more than
/// `maxPacketSize` bytes is rejected as soon as its fixed header is read, and nothing is parsed until the whole
/// packet is buffered, so each body is parsed exactly once.
public struct MQTTPacketDecoder: NIOSingleStepByteToMessageDecoder {
  public typealias InboundOut = MQTTPacket

  /// The largest whole packet (fixed header included) accepted.
  public let maxPacketSize: Int

  public init(maxPacketSize: Int) {
    self.maxPacketSize = maxPacketSize
  }

  public mutating func decode(buffer: inout ByteBuffer) throws -> MQTTPacket? {
    let start = buffer.readerIndex
    guard let firstByte = buffer.getInteger(at: start, as: UInt8.self) else { return nil }
    var remainingLength = 0
    var headerSize = 1
    while true {
      guard headerSize <= 4 else { throw MQTTError.protocolError("remaining length longer than four bytes") }
      guard let byte = buffer.getInteger(at: start + headerSize, as: UInt8.self) else { return nil }
      remainingLength |= Int(byte & 0x7F) << (7 * (headerSize - 1))
      headerSize += 1
      if byte & 0x80 == 0 { break }
    }
    guard headerSize + remainingLength <= maxPacketSize else {
      throw MQTTError.protocolError(
        "packet of \(headerSize + remainingLength) bytes exceeds the maximum \(maxPacketSize)")
    }
    guard buffer.readableBytes >= headerSize + remainingLength else { return nil }
    buffer.moveReaderIndex(forwardBy: headerSize)
    guard var body = buffer.readSlice(length: remainingLength) else { return nil }
    return try MQTTPacket.decode(firstByte: firstByte, body: &body)
  }

  public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> MQTTPacket? {
    try decode(buffer: &buffer)
  }
}
