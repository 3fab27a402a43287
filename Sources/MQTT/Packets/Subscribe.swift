import NIOCore

extension MQTTPacket {
  /// SUBSCRIBE: one or more topic filters, each with a requested maximum QoS.
  public struct Subscribe: Sendable, Equatable {
    public struct Filter: Sendable, Equatable {
      public var topicFilter: String
      public var qos: MQTTQoS
      public init(topicFilter: String, qos: MQTTQoS) {
        self.topicFilter = topicFilter
        self.qos = qos
      }
    }

    public var packetID: UInt16
    public var filters: [Filter]

    public init(packetID: UInt16, filters: [Filter]) {
      self.packetID = packetID
      self.filters = filters
    }

    func encodeBody(into buffer: inout ByteBuffer) throws(MQTTError) {
      guard packetID != 0 else { throw .protocolError("packet identifier 0") }
      guard !filters.isEmpty else { throw .protocolError("SUBSCRIBE without topic filters") }
      buffer.writeInteger(packetID)
      for filter in filters {
        try validateTopicFilter(filter.topicFilter)
        try buffer.writeMQTTString(filter.topicFilter)
        buffer.writeInteger(filter.qos.rawValue)
      }
    }

    static func decode(body: inout ByteBuffer) throws(MQTTError) -> Subscribe {
      let packetID = try body.readPacketID()
      var filters: [Filter] = []
      while body.readableBytes > 0 {
        let topicFilter = try body.readMQTTString()
        try validateTopicFilter(topicFilter)
        guard let options = body.readInteger(as: UInt8.self) else { throw .protocolError("truncated SUBSCRIBE") }
        guard options & 0xFC == 0, let qos = MQTTQoS(rawValue: options) else {
          throw .protocolError("invalid requested QoS byte \(options)")  // [MQTT-3.8.3-4]
        }
        filters.append(Filter(topicFilter: topicFilter, qos: qos))
      }
      guard !filters.isEmpty else { throw .protocolError("SUBSCRIBE without topic filters") }  // [MQTT-3.8.3-3]
      return Subscribe(packetID: packetID, filters: filters)
    }
  }

  /// SUBACK: one return code per requested filter; `nil` means the broker refused it (0x80).
  public struct SubAck: Sendable, Equatable {
    public var packetID: UInt16
    public var returnCodes: [MQTTQoS?]

    public init(packetID: UInt16, returnCodes: [MQTTQoS?]) {
      self.packetID = packetID
      self.returnCodes = returnCodes
    }

    func encodeBody(into buffer: inout ByteBuffer) {
      buffer.writeInteger(packetID)
      for code in returnCodes { buffer.writeInteger(code?.rawValue ?? 0x80) }
    }

    static func decode(body: inout ByteBuffer) throws(MQTTError) -> SubAck {
      let packetID = try body.readPacketID()
      var codes: [MQTTQoS?] = []
      while let byte = body.readInteger(as: UInt8.self) {
        if byte == 0x80 {
          codes.append(nil)
        } else if let qos = MQTTQoS(rawValue: byte) {
          codes.append(qos)
        } else {
          throw .protocolError("invalid SUBACK return code \(byte)")
        }
      }
      guard !codes.isEmpty else { throw .protocolError("SUBACK without return codes") }
      return SubAck(packetID: packetID, returnCodes: codes)
    }
  }

  /// UNSUBSCRIBE: one or more topic filters.
  public struct Unsubscribe: Sendable, Equatable {
    public var packetID: UInt16
    public var topicFilters: [String]

    public init(packetID: UInt16, topicFilters: [String]) {
      self.packetID = packetID
      self.topicFilters = topicFilters
    }

    func encodeBody(into buffer: inout ByteBuffer) throws(MQTTError) {
      guard packetID != 0 else { throw .protocolError("packet identifier 0") }
      guard !topicFilters.isEmpty else { throw .protocolError("UNSUBSCRIBE without topic filters") }
      buffer.writeInteger(packetID)
      for filter in topicFilters {
        try validateTopicFilter(filter)
        try buffer.writeMQTTString(filter)
      }
    }

    static func decode(body: inout ByteBuffer) throws(MQTTError) -> Unsubscribe {
      let packetID = try body.readPacketID()
      var filters: [String] = []
      while body.readableBytes > 0 {
        let filter = try body.readMQTTString()
        try validateTopicFilter(filter)
        filters.append(filter)
      }
      guard !filters.isEmpty else { throw .protocolError("UNSUBSCRIBE without topic filters") }  // [MQTT-3.10.3-2]
      return Unsubscribe(packetID: packetID, topicFilters: filters)
    }
  }
}
