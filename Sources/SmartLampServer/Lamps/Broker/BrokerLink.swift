import MQTT

/// What the server needs from the broker: device messages and (re)connects in, commands and state queries out.
/// ``BrokerConnection`` in production; ``NoBroker`` where a test needs none.
protocol BrokerLink: Sendable {
  /// Every message on the server's subscriptions, in arrival order, taken in batches (one consumer: the ingest
  /// loop). Finished when the link stops.
  var messages: MQTTInbox { get }
  /// One element after every (re)connect, once subscribed.
  var connections: AsyncStream<Void> { get }
  var isConnected: Bool { get }
  var connectionCount: Int { get }
  var messagesReceived: Int { get }
  /// Device messages dropped unread because they exceeded the packet limit.
  var oversizedSkipped: Int { get }
  /// Device messages dropped unread because ingest fell a whole subscription buffer behind.
  var messagesDropped: Int { get }
  /// Subscription filters the broker refused (tried again with backoff); empty when all were granted.
  var refusedFilters: [String] { get }
  /// nil when connected and subscribed, otherwise why not (for `/api/v1/health/ready`).
  func problem() -> String?
  /// Publishes a device command: QoS 1, never retained, waiting for PUBACK.
  func publishCommand(topic: String, payload: String) async throws(BrokerUnavailable)
  /// Fire-and-forget publish for state queries and probes (QoS 0).
  func publishQuery(topic: String, payload: String) async
}

extension BrokerLink {
  /// A link without a subscription buffer of its own drops nothing.
  var messagesDropped: Int { 0 }
}

/// A broker that is never there: commands fail with ``BrokerUnavailable``, nothing arrives.
struct NoBroker: BrokerLink {
  var messages: MQTTInbox { .finished }
  var connections: AsyncStream<Void> { AsyncStream { $0.finish() } }
  var isConnected: Bool { false }
  var connectionCount: Int { 0 }
  var messagesReceived: Int { 0 }
  var oversizedSkipped: Int { 0 }
  var refusedFilters: [String] { [] }
  func problem() -> String? { "no broker configured" }
  func publishCommand(topic: String, payload: String) async throws(BrokerUnavailable) {
    throw BrokerUnavailable(reason: "not connected to the MQTT broker")
  }
  func publishQuery(topic: String, payload: String) async {}
}

extension MQTTInbox {
  /// An inbox where nothing arrives: its consumer's first batch is empty.
  static var finished: MQTTInbox {
    let inbox = MQTTInbox(capacity: 1)
    inbox.finish()
    return inbox
  }
}
