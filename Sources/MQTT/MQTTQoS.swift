/// MQTT 3.1.1 client on SwiftNIO: packet codec, connection state machine, QoS 0/1/2, Will, keep-alive,
/// reconnect with backoff, and the TCP, TLS, WebSocket and WSS transports. Knows nothing of lamps or HTTP.
public enum MQTTQoS: UInt8, Sendable, Hashable, Comparable {
  case atMostOnce = 0
  case atLeastOnce = 1
  case exactlyOnce = 2
  public static func < (lhs: MQTTQoS, rhs: MQTTQoS) -> Bool { lhs.rawValue < rhs.rawValue }
}
