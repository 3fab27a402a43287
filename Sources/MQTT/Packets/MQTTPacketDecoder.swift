import NIOCore

/// Splits a byte stream into ``MQTTPacket``s, one at a time.
///
/// Bounded by construction: the remaining length stops after four bytes, a packet announcing more than
/// `maxPacketSize` bytes is rejected as soon as its fixed header is read, and nothing is parsed until the whole
/// packet is buffered, so each body is parsed exactly once.
///
/// An oversized QoS 0 PUBLISH is the exception: it is skipped as it streams past (never buffered) and reported to
/// `onOversizedPublish`. At-most-once delivery may drop a message anyway; closing the connection instead would drop
/// every other message with it, and anyone allowed to publish on a subscribed topic could keep a client offline
/// by sending one large message after each reconnect.
public struct MQTTPacketDecoder: NIOSingleStepByteToMessageDecoder {
  public typealias InboundOut = MQTTPacket

  /// The largest whole packet (fixed header included) accepted.
  public let maxPacketSize: Int
  /// Told the size of each oversized QoS 0 PUBLISH skipped.
  public var onOversizedPublish: (@Sendable (Int) -> Void)?
  /// Bytes of a skipped packet still to come.
  private var skipping = 0

  public init(maxPacketSize: Int, onOversizedPublish: (@Sendable (Int) -> Void)? = nil) {
    self.maxPacketSize = maxPacketSize
    self.onOversizedPublish = onOversizedPublish
  }

  public mutating func decode(buffer: inout ByteBuffer) throws -> MQTTPacket? {
    if skipping > 0 {
      let count = min(skipping, buffer.readableBytes)
      buffer.moveReaderIndex(forwardBy: count)
      skipping -= count
      guard skipping == 0 else { return nil }
    }
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
      // PUBLISH (type 3) with QoS bits 00.
      if firstByte >> 4 == 3 && (firstByte >> 1) & 0b11 == 0 {
        buffer.moveReaderIndex(forwardBy: headerSize)
        skipping = remainingLength
        onOversizedPublish?(headerSize + remainingLength)
        return try decode(buffer: &buffer)
      }
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
