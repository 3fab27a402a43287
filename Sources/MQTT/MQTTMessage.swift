import NIOCore

/// An application message received on a subscription.
public struct MQTTMessage: Sendable, Equatable {
  public var topic: String
  public var payload: ByteBuffer
  public var qos: MQTTQoS
  public var retain: Bool

  public init(topic: String, payload: ByteBuffer, qos: MQTTQoS = .atMostOnce, retain: Bool = false) {
    self.topic = topic
    self.payload = payload
    self.qos = qos
    self.retain = retain
  }

  /// The payload decoded as UTF-8 (invalid sequences are replaced, never a crash).
  public var payloadString: String { String(decoding: payload.readableBytesView, as: UTF8.self) }
}

/// The Will (last will and testament) the broker publishes for us if the connection drops without DISCONNECT.
public struct MQTTWill: Sendable, Equatable {
  public var topic: String
  public var payload: ByteBuffer
  public var qos: MQTTQoS
  public var retain: Bool

  public init(topic: String, payload: ByteBuffer, qos: MQTTQoS = .atMostOnce, retain: Bool = false) {
    self.topic = topic
    self.payload = payload
    self.qos = qos
    self.retain = retain
  }

  public init(topic: String, payload: String, qos: MQTTQoS = .atMostOnce, retain: Bool = false) {
    self.init(topic: topic, payload: ByteBuffer(string: payload), qos: qos, retain: retain)
  }
}
