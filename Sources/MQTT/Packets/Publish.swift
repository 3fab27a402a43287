import NIOCore

extension MQTTPacket {
  /// PUBLISH, in either direction.
  public struct Publish: Sendable, Equatable {
    public var topic: String
    public var payload: ByteBuffer
    public var qos: MQTTQoS
    public var retain: Bool
    public var dup: Bool
    /// Present exactly when `qos` is above 0.
    public var packetID: UInt16?

    public init(
      topic: String, payload: ByteBuffer, qos: MQTTQoS = .atMostOnce, retain: Bool = false, dup: Bool = false,
      packetID: UInt16? = nil
    ) {
      self.topic = topic
      self.payload = payload
      self.qos = qos
      self.retain = retain
      self.dup = dup
      self.packetID = packetID
    }

    var fixedHeaderFlags: UInt8 {
      (dup ? 0b1000 : 0) | qos.rawValue << 1 | (retain ? 1 : 0)
    }

    func encodeBody(into buffer: inout ByteBuffer) throws(MQTTError) {
      try validatePublishTopic(topic)
      try buffer.writeMQTTString(topic)
      switch (qos, packetID) {
      case (.atMostOnce, nil): break
      case (.atMostOnce, .some): throw .protocolError("QoS 0 PUBLISH with a packet identifier")
      case (_, nil), (_, 0): throw .protocolError("QoS \(qos.rawValue) PUBLISH without a packet identifier")
      case (_, let id?): buffer.writeInteger(id)
      }
      buffer.writeImmutableBuffer(payload)
    }

    static func decode(flags: UInt8, body: inout ByteBuffer) throws(MQTTError) -> Publish {
      guard let qos = MQTTQoS(rawValue: (flags >> 1) & 0x03) else { throw .protocolError("PUBLISH with QoS 3") }
      let dup = flags & 0b1000 != 0
      if dup && qos == .atMostOnce { throw .protocolError("DUP set on a QoS 0 PUBLISH") }  // [MQTT-3.3.1-2]
      let topic = try body.readMQTTString()
      try validatePublishTopic(topic)
      let packetID = qos == .atMostOnce ? nil : try body.readPacketID()
      let payload = body.readSlice(length: body.readableBytes) ?? ByteBuffer()
      return Publish(topic: topic, payload: payload, qos: qos, retain: flags & 1 != 0, dup: dup, packetID: packetID)
    }
  }

  /// The two-byte acknowledgements: PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK.
  public struct Ack: Sendable, Equatable, Hashable {
    public enum Kind: Sendable, Hashable {
      case pubAck, pubRec, pubRel, pubComp, unsubAck

      var packetType: PacketType {
        switch self {
        case .pubAck: .pubAck
        case .pubRec: .pubRec
        case .pubRel: .pubRel
        case .pubComp: .pubComp
        case .unsubAck: .unsubAck
        }
      }
    }

    public var kind: Kind
    public var packetID: UInt16

    public init(kind: Kind, packetID: UInt16) {
      self.kind = kind
      self.packetID = packetID
    }
  }
}

/// A PUBLISH topic is non-empty and has no wildcards [MQTT-3.3.2-2, MQTT-4.7.3-1].
func validatePublishTopic(_ topic: String) throws(MQTTError) {
  guard !topic.isEmpty else { throw .protocolError("empty topic name") }
  if utf8Contains(topic, where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }) {
    throw .protocolError("wildcard in topic name \(topic)")
  }
}
