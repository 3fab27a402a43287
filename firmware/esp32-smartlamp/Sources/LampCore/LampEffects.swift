/// The actions the lamp's state machine asks its platform to carry out, in order. The device's C layer and the
/// host lamp implement it; tests record it. Buffers are borrowed for the call only.
public protocol LampEffects {
  /// Drive the relay (true = lamp on).
  mutating func setRelay(_ on: Bool)
  mutating func publish(topic: borrowing TopicBuffer, payload: borrowing PayloadBuffer, qos: UInt8, retain: Bool)
  mutating func subscribe(topic: borrowing TopicBuffer, qos: UInt8)
  /// Store `record` (a `PersistedState.encode()` record) so it survives a power cut.
  mutating func persist(record: borrowing FixedBytes<16>)
  /// Informational: a connect action follows after about this long (platforms that sleep can wake for it).
  mutating func scheduleReconnect(afterMs: UInt32)
  /// Start one connection attempt now; answer with `connected` or `disconnected`.
  mutating func connect()
}
