/// Every failure the MQTT module reports.
public enum MQTTError: Error, Sendable, Equatable, CustomStringConvertible {
  /// No connection to the broker right now (and, on a clean session, nothing is queued).
  case notConnected
  /// The broker did not answer in time (CONNACK, PUBACK, SUBACK, UNSUBACK or PINGRESP).
  case timeout
  /// CONNACK refused the connection.
  case connectionRefused(MQTTConnectReturnCode)
  /// SUBACK refused this topic filter (return code 0x80).
  case subscriptionRefused(String)
  /// The peer sent malformed or unexpected bytes, or a packet we were asked to send is invalid.
  case protocolError(String)
  /// The connection closed before the request completed, or the client was disconnected.
  case closed
  /// The broker URL could not be parsed.
  case invalidURL(String)
  /// The transport failed: TCP connect, TLS, WebSocket upgrade. The text carries the underlying error.
  case transportError(String)

  public var description: String {
    switch self {
    case .notConnected: "not connected to the MQTT broker"
    case .timeout: "timed out waiting for the MQTT broker"
    case .connectionRefused(let code): "the MQTT broker refused the connection: \(code)"
    case .subscriptionRefused(let filter): "the MQTT broker refused the subscription to \(filter)"
    case .protocolError(let detail): "MQTT protocol error: \(detail)"
    case .closed: "the MQTT connection was closed"
    case .invalidURL(let detail): "invalid MQTT broker URL: \(detail)"
    case .transportError(let detail): "MQTT transport error: \(detail)"
    }
  }
}

/// CONNACK refusal codes of MQTT 3.1.1 (§3.2.2.3).
public enum MQTTConnectReturnCode: UInt8, Sendable, Equatable, CustomStringConvertible {
  case unacceptableProtocolVersion = 1
  case identifierRejected = 2
  case serverUnavailable = 3
  case badUsernameOrPassword = 4
  case notAuthorized = 5

  public var description: String {
    switch self {
    case .unacceptableProtocolVersion: "unacceptable protocol version (1)"
    case .identifierRejected: "client identifier rejected (2)"
    case .serverUnavailable: "server unavailable (3)"
    case .badUsernameOrPassword: "bad user name or password (4)"
    case .notAuthorized: "not authorised (5)"
    }
  }
}
