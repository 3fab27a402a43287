import NIOCore

extension MQTTPacket {
  /// CONNECT: the first packet a client sends.
  public struct Connect: Sendable, Equatable {
    public var clientID: String
    public var cleanSession: Bool
    /// Keep-alive in seconds; 0 disables it.
    public var keepAliveSeconds: UInt16
    public var username: String?
    public var password: ByteBuffer?
    public var will: MQTTWill?

    public init(
      clientID: String, cleanSession: Bool = true, keepAliveSeconds: UInt16 = 30, username: String? = nil,
      password: ByteBuffer? = nil, will: MQTTWill? = nil
    ) {
      self.clientID = clientID
      self.cleanSession = cleanSession
      self.keepAliveSeconds = keepAliveSeconds
      self.username = username
      self.password = password
      self.will = will
    }

    private enum Flag {
      static let username: UInt8 = 0x80
      static let password: UInt8 = 0x40
      static let willRetain: UInt8 = 0x20
      static let willQoSShift: UInt8 = 3
      static let will: UInt8 = 0x04
      static let cleanSession: UInt8 = 0x02
      static let reserved: UInt8 = 0x01
    }

    func encodeBody(into buffer: inout ByteBuffer) throws(MQTTError) {
      // [MQTT-3.1.2-22]: a password without a user name is not allowed in 3.1.1.
      if password != nil && username == nil { throw .protocolError("password without user name") }
      try buffer.writeMQTTString("MQTT")
      buffer.writeInteger(UInt8(4))
      var flags: UInt8 = cleanSession ? Flag.cleanSession : 0
      if let will {
        flags |= Flag.will | will.qos.rawValue << Flag.willQoSShift | (will.retain ? Flag.willRetain : 0)
      }
      if username != nil { flags |= Flag.username }
      if password != nil { flags |= Flag.password }
      buffer.writeInteger(flags)
      buffer.writeInteger(keepAliveSeconds)
      try buffer.writeMQTTString(clientID)
      if let will {
        try validatePublishTopic(will.topic)
        try buffer.writeMQTTString(will.topic)
        try buffer.writeMQTTBinary(will.payload)
      }
      if let username { try buffer.writeMQTTString(username) }
      if let password { try buffer.writeMQTTBinary(password) }
    }

    static func decode(body: inout ByteBuffer) throws(MQTTError) -> Connect {
      let name = try body.readMQTTString()
      guard name == "MQTT" else { throw .protocolError("unknown protocol name \(name)") }
      guard let level = body.readInteger(as: UInt8.self), let flags = body.readInteger(as: UInt8.self),
        let keepAlive = body.readInteger(as: UInt16.self)
      else { throw .protocolError("truncated CONNECT variable header") }
      guard level == 4 else { throw .protocolError("unsupported protocol level \(level)") }
      guard flags & Flag.reserved == 0 else { throw .protocolError("CONNECT reserved flag set") }
      let clientID = try body.readMQTTString()
      var will: MQTTWill?
      let willQoSBits = (flags >> Flag.willQoSShift) & 0x03
      if flags & Flag.will != 0 {
        guard let qos = MQTTQoS(rawValue: willQoSBits) else { throw .protocolError("invalid Will QoS 3") }
        let topic = try body.readMQTTString()
        try validatePublishTopic(topic)
        let payload = try body.readMQTTBinary()
        will = MQTTWill(topic: topic, payload: payload, qos: qos, retain: flags & Flag.willRetain != 0)
      } else if willQoSBits != 0 || flags & Flag.willRetain != 0 {
        throw .protocolError("Will QoS or retain set without a Will")  // [MQTT-3.1.2-13, -15]
      }
      let username = flags & Flag.username != 0 ? try body.readMQTTString() : nil
      if flags & Flag.password != 0 && username == nil { throw .protocolError("password without user name") }
      let password = flags & Flag.password != 0 ? try body.readMQTTBinary() : nil
      return Connect(
        clientID: clientID, cleanSession: flags & Flag.cleanSession != 0, keepAliveSeconds: keepAlive,
        username: username, password: password, will: will)
    }
  }

  /// CONNACK: the broker's answer to CONNECT.
  public struct ConnAck: Sendable, Equatable {
    public var sessionPresent: Bool
    /// 0 accepted; 1–5 refusal reasons (see ``MQTTConnectReturnCode``).
    public var returnCode: UInt8

    public init(sessionPresent: Bool, returnCode: UInt8) {
      self.sessionPresent = sessionPresent
      self.returnCode = returnCode
    }

    func encodeBody(into buffer: inout ByteBuffer) {
      buffer.writeInteger(UInt8(sessionPresent ? 1 : 0))
      buffer.writeInteger(returnCode)
    }

    static func decode(body: inout ByteBuffer) throws(MQTTError) -> ConnAck {
      guard let flags = body.readInteger(as: UInt8.self), let code = body.readInteger(as: UInt8.self) else {
        throw .protocolError("truncated CONNACK")
      }
      guard flags & 0xFE == 0 else { throw .protocolError("CONNACK reserved flags set") }
      guard code <= 5 else { throw .protocolError("unknown CONNACK return code \(code)") }
      // [MQTT-3.2.2-4]: a refusal never reports a present session.
      if code != 0 && flags != 0 { throw .protocolError("session present on a refused connection") }
      return ConnAck(sessionPresent: flags == 1, returnCode: code)
    }
  }
}
