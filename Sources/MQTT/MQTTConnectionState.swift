/// Where the client's connection stands. ``MQTTClient/stateUpdates()`` streams every change.
public enum MQTTConnectionState: Sendable, Equatable, CustomStringConvertible {
  /// Never connected.
  case idle
  /// Opening the transport or waiting for CONNACK (first connect or a reconnect attempt).
  case connecting
  /// CONNACK accepted; after a reconnect also re-subscribed. `sessionPresent` comes from CONNACK.
  case connected(sessionPresent: Bool)
  /// The connection is gone; the client may be backing off before the next attempt.
  case disconnected(reason: String)

  public var isConnected: Bool {
    if case .connected = self { return true }
    return false
  }

  public var description: String {
    switch self {
    case .idle: "idle"
    case .connecting: "connecting"
    case .connected(let sessionPresent): "connected(sessionPresent: \(sessionPresent))"
    case .disconnected(let reason): "disconnected(\(reason))"
    }
  }
}
