import Foundation
import Logging
import MQTT
import NIOCore
import ServiceLifecycle
import Synchronization
import Tasmota

/// The server's one long-lived broker connection (CONTRACT §10): a unique client id per instance, keep-alive 30 s,
/// a retained Will `offline` on `smartlamp/<instanceId>/status` (`online` after each connect), reconnect with
/// exponential backoff and jitter (also while the first connect keeps failing), the subscriptions of every Tasmota
/// report in both FullTopic orders plus Tasmota's native discovery, and the SmartLamp firmware's `home/+/status`
/// and `home/+/lwt`. Every message goes out on ``messages`` and every (re)connect on ``connections``, for the
/// ingest loop (``LampIngest``), which queries the state of each registered device after a connect.
///
/// Filters the broker refuses in SUBACK (an ACL) are reported by ``problem()`` (so readiness fails, naming them)
/// while the accepted ones keep working; the refused ones are tried again after every reconnect and with backoff
/// (1 s doubling to 15 s), so an ACL fixed on the broker clears readiness without restarting SmartLamp.
final class BrokerConnection: BrokerLink, Service, Sendable {
  let client: MQTTClient
  let instanceID: String
  let statusTopic: String
  let filters: [String]
  /// Every subscription delivers here, straight from the client's event loop: the ingest loop takes what arrived
  /// while it was busy in one batch (issue #10: a task in between cost a wake-up per message).
  let messages = MQTTInbox(capacity: BrokerConnection.subscriptionBuffer)
  private let connectionStream = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
  /// Messages held for the ingest loop: one that falls that far behind loses the oldest.
  static let subscriptionBuffer = 16_384
  /// Filters the broker refused and that are tried again.
  private let refused = Mutex<[String]>([])
  /// Wakes the retry of refused filters (after a reconnect, or when the backoff elapsed).
  private let retries = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
  let refusedRetry = MQTTBackoff(initial: .seconds(1), maximum: .seconds(15), jitter: 0)
  private let connected = Atomic<Int>(0)
  private let oversized: OversizedMessages
  let logger: Logger

  init(configuration: Configuration, logger: Logger) throws {
    instanceID = configuration.instanceID ?? "sl-" + Self.randomHex(8)
    statusTopic = "smartlamp/\(instanceID)/status"
    var mqtt = try MQTTClientConfiguration(
      url: configuration.mqttURL, clientID: "smartlamp-\(instanceID)-\(Self.randomHex(6))")
    if let username = configuration.mqttUsername { mqtt.username = username }
    if let password = configuration.mqttPassword { mqtt.password = password }
    mqtt.caFile = configuration.mqttCAFile
    mqtt.clientCertificateFile = configuration.mqttClientCertificateFile
    mqtt.clientKeyFile = configuration.mqttClientKeyFile
    mqtt.keepAlive = .seconds(30)
    mqtt.cleanSession = true
    mqtt.will = MQTTWill(topic: statusTopic, payload: "offline", qos: .atLeastOnce, retain: true)
    // Retried at most ~1 s apart (issue #10: back within a second of the broker): a refused TCP connect to the
    // house's broker costs next to nothing, and every second offline is a second of 503s and stale tiles.
    mqtt.reconnect = MQTTBackoff(initial: .milliseconds(250), maximum: .milliseconds(800), jitter: 0.2)
    mqtt.subscriptionBufferSize = Self.subscriptionBuffer
    // A message larger than the client's packet limit is skipped and counted as malformed, never a reconnect.
    let oversized = OversizedMessages(logger: logger)
    mqtt.onOversizedPublish = { bytes in oversized.record(bytes) }
    self.oversized = oversized
    filters = TasmotaSubscriptions.all + NativeSubscriptions.all
    var clientLogger = logger
    clientLogger[metadataKey: "component"] = "mqtt"
    client = MQTTClient(configuration: mqtt, logger: clientLogger)
    self.logger = logger
  }

  var isConnected: Bool { client.state.isConnected }
  /// Subscription filters the broker refused (tried again with backoff); empty when all were granted.
  var refusedFilters: [String] { refused.withLock { $0 } }

  var connections: AsyncStream<Void> { connectionStream.stream }

  /// How many times the connection was (re)established, for tests and metrics.
  var connectionCount: Int { connected.load(ordering: .relaxed) }
  /// Messages received on every subscription, for metrics.
  var messagesReceived: Int { messages.receivedCount }
  /// Messages skipped for exceeding the MQTT client's packet limit.
  var oversizedSkipped: Int { oversized.count }
  /// Messages the client dropped because ingest fell a whole subscription buffer behind.
  var messagesDropped: Int { client.droppedMessageCount }

  /// nil when connected and subscribed, otherwise why not (for `/api/v1/health/ready`).
  func problem() -> String? {
    let state = client.state
    guard state.isConnected else { return "broker \(state)" }
    let refused = self.refused.withLock { $0 }
    return refused.isEmpty ? nil : "subscription refused: " + refused.joined(separator: ", ")
  }

  func run() async throws {
    await withDiscardingTaskGroup { group in
      group.addTask { await self.connectAndSubscribe() }
      group.addTask { await self.watchConnection() }
      try? await gracefulShutdown()
      if client.state.isConnected {
        try? await client.publish(topic: statusTopic, payload: "offline", qos: .atLeastOnce, retain: true)
      }
      await client.disconnect()
      group.cancelAll()
      messages.finish()
      connectionStream.continuation.finish()
    }
  }

  /// Connects (retrying with backoff until it works) and subscribes into ``messages``, then subscribes refused
  /// filters again whenever a retry is due, until the service is cancelled.
  private func connectAndSubscribe() async {
    var attempt = 0
    while !Task.isCancelled {
      do {
        try await client.connect()
        break
      } catch {
        logger.warning(
          "MQTT broker unreachable", metadata: ["attempt": "\(attempt + 1)", "error": "\(error)"])
        do {
          try await Task.sleep(for: client.configuration.reconnect.delay(attempt: attempt))
        } catch {
          return
        }
        attempt += 1
      }
    }
    await withDiscardingTaskGroup { group in
      let refusedNow = await subscribeAccepted(filters).refused
      refused.withLock { $0 = refusedNow }
      connectionStream.continuation.yield()
      group.addTask { await self.scheduleRetries() }
      // Ends when the service is cancelled.
      for await _ in retries.stream {
        let pending = refused.withLock { $0 }
        // Subscribing while disconnected only defers the filters, which would hide a refusal: wait for a link.
        guard !pending.isEmpty, client.state.isConnected else { continue }
        let (late, stillRefused) = await subscribeAccepted(pending, logRefusals: false)
        refused.withLock { $0 = stillRefused }
        if !late.isEmpty {
          logger.info("MQTT broker now accepts a subscription", metadata: ["filters": "\(late)"])
        }
      }
    }
  }

  /// Subscribes to as many of `wanted` as the broker accepts, in one subscription delivering into ``messages``. A
  /// refusal names one filter: drop it and try the rest, until the broker accepts what is left. Transient
  /// failures are retried. Returns the filters subscribed and those refused.
  private func subscribeAccepted(_ wanted: [String], logRefusals: Bool = true) async
    -> (subscribed: [String], refused: [String])
  {
    var remaining = wanted
    var refused: [String] = []
    while !remaining.isEmpty, !Task.isCancelled {
      do {
        try await client.subscribe(remaining, qos: .atMostOnce, into: messages)
        return (remaining, refused)
      } catch MQTTError.subscriptionRefused(let filter) where remaining.contains(filter) {
        // Logged once; the retries every few seconds would only repeat it (readiness keeps reporting it).
        if logRefusals { logger.error("MQTT broker refused a subscription", metadata: ["filter": "\(filter)"]) }
        refused.append(filter)
        remaining.removeAll { $0 == filter }
      } catch {
        try? await Task.sleep(for: .milliseconds(200))
      }
    }
    return ([], refused + remaining)
  }

  /// Wakes the retry of refused filters with backoff while any are refused.
  private func scheduleRetries() async {
    var attempt = 0
    while !Task.isCancelled {
      do {
        try await Task.sleep(for: refusedRetry.delay(attempt: attempt))
      } catch {
        return
      }
      if refused.withLock({ $0.isEmpty }) {
        attempt = 0
      } else {
        retries.continuation.yield()
        attempt += 1
      }
    }
  }

  /// After each reconnect (the client re-subscribes by itself): announce ourselves and re-query device state.
  private func watchConnection() async {
    var wasConnected = false
    for await state in client.stateUpdates() {
      if state.isConnected && !wasConnected {
        let count = connected.add(1, ordering: .relaxed).newValue
        try? await client.publish(topic: statusTopic, payload: "online", qos: .atLeastOnce, retain: true)
        if count > 1 {
          logger.info("MQTT broker connection re-established", metadata: ["connections": "\(count)"])
          retries.continuation.yield()
          connectionStream.continuation.yield()
        }
      }
      wasConnected = state.isConnected
    }
  }

  /// Publishes a device command: QoS 1, never retained, waiting for PUBACK (≤ 5 s).
  func publishCommand(topic: String, payload: String) async throws(BrokerUnavailable) {
    guard client.state.isConnected else { throw BrokerUnavailable(reason: "not connected to the MQTT broker") }
    do {
      try await client.publish(topic: topic, payload: payload, qos: .atLeastOnce, retain: false)
    } catch {
      throw BrokerUnavailable(reason: "\(error)")
    }
  }

  /// Fire-and-forget publish for state queries and probes (QoS 0).
  func publishQuery(topic: String, payload: String) async {
    guard client.state.isConnected else { return }
    try? await client.publish(topic: topic, payload: payload, qos: .atMostOnce, retain: false)
  }

  static func randomHex(_ count: Int) -> String {
    String((0..<count).map { _ in "0123456789abcdef".randomElement() ?? "0" })
  }
}

/// The broker is down or refused the publish (`503 BROKER_UNAVAILABLE`).
struct BrokerUnavailable: Error, Sendable {
  let reason: String
}
