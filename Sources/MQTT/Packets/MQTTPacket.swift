import NIOCore

/// One MQTT 3.1.1 control packet. The packet set is closed, so it is an enum: the compiler checks that every
/// consumer handles every kind, and no packet is ever downcast.
///
/// Encoding writes the body first and derives the fixed header's remaining length from the bytes actually written.
/// Decoding (see ``MQTTPacketDecoder``) validates flags, lengths and strings, and throws ``MQTTError/protocolError(_:)``
/// on any malformed input.
public enum MQTTPacket: Sendable, Equatable {
  case connect(Connect)
  case connAck(ConnAck)
  case publish(Publish)
  /// PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK: a kind and a packet identifier.
  case ack(Ack)
  case subscribe(Subscribe)
  case subAck(SubAck)
  case unsubscribe(Unsubscribe)
  case pingReq
  case pingResp
  case disconnect

  /// Control packet type numbers from the fixed header's high nibble.
  enum PacketType: UInt8 {
    case connect = 1, connAck, publish, pubAck, pubRec, pubRel, pubComp
    case subscribe, subAck, unsubscribe, unsubAck, pingReq, pingResp, disconnect
  }

  /// Encodes the packet into a fresh buffer holding exactly the packet's bytes.
  public func encode(allocator: ByteBufferAllocator = ByteBufferAllocator()) throws(MQTTError) -> ByteBuffer {
    var buffer = allocator.buffer(capacity: 5 + bodyCapacityHint)
    try encode(into: &buffer)
    return buffer
  }

  /// Appends the encoded packet to `buffer`. On error `buffer` is left as it was.
  public func encode(into buffer: inout ByteBuffer) throws(MQTTError) {
    // Reserve the largest possible fixed header (1 + 4 bytes), write the body, then write the real header and
    // slide the body up against it: one pass, and the remaining length is the count of bytes actually written.
    let start = buffer.writerIndex
    buffer.reserveCapacity(minimumWritableBytes: 5 + bodyCapacityHint)
    buffer.writeRepeatingByte(0, count: 5)
    let firstByte: UInt8
    do {
      firstByte = try encodeBody(into: &buffer)
    } catch {
      buffer.moveWriterIndex(to: start)
      throw error
    }
    let bodyLength = buffer.writerIndex - start - 5
    guard bodyLength <= ByteBuffer.maxRemainingLength else {
      buffer.moveWriterIndex(to: start)
      throw .protocolError("packet larger than the MQTT maximum of 256 MiB")
    }
    let headerLength = 1 + ByteBuffer.remainingLengthSize(bodyLength)
    if headerLength < 5 && bodyLength > 0 {
      buffer.withVeryUnsafeMutableBytes { bytes in
        guard let base = bytes.baseAddress else { return }
        (base + start + headerLength).copyMemory(from: base + start + 5, byteCount: bodyLength)
      }
    }
    buffer.setInteger(firstByte, at: start)
    buffer.setRemainingLength(bodyLength, at: start + 1)
    buffer.moveWriterIndex(to: start + headerLength + bodyLength)
  }

  private var bodyCapacityHint: Int {
    switch self {
    case .publish(let publish): publish.topic.utf8.count + publish.payload.readableBytes + 4
    case .connect(let connect): 64 + connect.clientID.utf8.count + (connect.will?.payload.readableBytes ?? 0)
    case .subscribe(let subscribe): subscribe.filters.reduce(2) { $0 + $1.topicFilter.utf8.count + 3 }
    case .unsubscribe(let unsubscribe): unsubscribe.topicFilters.reduce(2) { $0 + $1.utf8.count + 2 }
    case .subAck(let subAck): 2 + subAck.returnCodes.count
    case .connAck, .ack: 2
    case .pingReq, .pingResp, .disconnect: 0
    }
  }

  /// Writes the variable header and payload; returns the fixed header's first byte (type and flags).
  private func encodeBody(into buffer: inout ByteBuffer) throws(MQTTError) -> UInt8 {
    switch self {
    case .connect(let connect):
      try connect.encodeBody(into: &buffer)
      return PacketType.connect.rawValue << 4
    case .connAck(let connAck):
      connAck.encodeBody(into: &buffer)
      return PacketType.connAck.rawValue << 4
    case .publish(let publish):
      try publish.encodeBody(into: &buffer)
      return PacketType.publish.rawValue << 4 | publish.fixedHeaderFlags
    case .ack(let ack):
      buffer.writeInteger(ack.packetID)
      let flags: UInt8 = ack.kind == .pubRel ? 0b0010 : 0
      return ack.kind.packetType.rawValue << 4 | flags
    case .subscribe(let subscribe):
      try subscribe.encodeBody(into: &buffer)
      return PacketType.subscribe.rawValue << 4 | 0b0010
    case .subAck(let subAck):
      subAck.encodeBody(into: &buffer)
      return PacketType.subAck.rawValue << 4
    case .unsubscribe(let unsubscribe):
      try unsubscribe.encodeBody(into: &buffer)
      return PacketType.unsubscribe.rawValue << 4 | 0b0010
    case .pingReq:
      return PacketType.pingReq.rawValue << 4
    case .pingResp:
      return PacketType.pingResp.rawValue << 4
    case .disconnect:
      return PacketType.disconnect.rawValue << 4
    }
  }

  /// Decodes one packet from its fixed-header byte and its complete body. The whole body must be consumed.
  static func decode(firstByte: UInt8, body: inout ByteBuffer) throws(MQTTError) -> MQTTPacket {
    guard let type = PacketType(rawValue: firstByte >> 4) else {
      throw .protocolError("reserved packet type \(firstByte >> 4)")
    }
    let flags = firstByte & 0x0F
    // Reserved flag bits must match the specification exactly [MQTT-2.2.2-1, MQTT-2.2.2-2].
    let expectedFlags: UInt8? =
      switch type {
      case .publish: nil
      case .pubRel, .subscribe, .unsubscribe: 0b0010
      default: 0
      }
    if let expectedFlags, flags != expectedFlags {
      throw .protocolError("invalid fixed header flags \(flags) for packet type \(type.rawValue)")
    }
    let packet: MQTTPacket
    switch type {
    case .connect: packet = .connect(try Connect.decode(body: &body))
    case .connAck: packet = .connAck(try ConnAck.decode(body: &body))
    case .publish: packet = .publish(try Publish.decode(flags: flags, body: &body))
    case .pubAck: packet = .ack(Ack(kind: .pubAck, packetID: try body.readPacketID()))
    case .pubRec: packet = .ack(Ack(kind: .pubRec, packetID: try body.readPacketID()))
    case .pubRel: packet = .ack(Ack(kind: .pubRel, packetID: try body.readPacketID()))
    case .pubComp: packet = .ack(Ack(kind: .pubComp, packetID: try body.readPacketID()))
    case .unsubAck: packet = .ack(Ack(kind: .unsubAck, packetID: try body.readPacketID()))
    case .subscribe: packet = .subscribe(try Subscribe.decode(body: &body))
    case .subAck: packet = .subAck(try SubAck.decode(body: &body))
    case .unsubscribe: packet = .unsubscribe(try Unsubscribe.decode(body: &body))
    case .pingReq: packet = .pingReq
    case .pingResp: packet = .pingResp
    case .disconnect: packet = .disconnect
    }
    guard body.readableBytes == 0 else {
      throw .protocolError("\(body.readableBytes) unexpected trailing bytes in packet type \(type.rawValue)")
    }
    return packet
  }
}
