import MQTT
import ServiceLifecycle
import SmartLampCore
import SmartLampStore
import Tasmota

/// The one path of a device message, in order: parse it once → discovery and device state (which return facts
/// and call nobody) → realtime events (the inbox's change first) → the command ledger (reports, echoes,
/// refusals) → device-side history for changes no command explains → the state queries to publish back to the
/// broker. Messages are taken in batches (all that arrived since the last) and the state applies a batch under one
/// lock; each message's facts are then passed on in arrival order. After every (re)connect it queries the state of
/// every registered device.
struct LampIngest: Service {
  let broker: any BrokerLink
  let state: DeviceStateService
  let discovery: DiscoveryInventory
  let commands: CommandService
  let hub: RealtimeHub
  let history: DeviceHistoryRecorder

  func run() async throws {
    await withDiscardingTaskGroup { group in
      group.addTask {
        for await _ in broker.connections.cancelOnGracefulShutdown() {
          for query in state.allStateQueries() { await broker.publishQuery(topic: query.topic, payload: query.payload) }
        }
      }
      await cancelWhenGracefulShutdown {
        // Everything that arrived while the last batch was handled, at once (issue #10: one wake-up per message
        // left ingest at a quarter of what the broker delivered).
        while true {
          let batch = await broker.messages.nextBatch()
          if batch.isEmpty { break }
          for query in handle(batch) { await broker.publishQuery(topic: query.topic, payload: query.payload) }
        }
      }
      // Without a broker the messages end at once: returning now would stop the whole application.
      try? await gracefulShutdown()
      group.cancelAll()
    }
  }

  /// Applies broker messages in order; returns the state queries to publish.
  func handle(_ messages: [MQTTMessage], now: Int64 = Timestamp.nowMillis()) -> [(topic: String, payload: String)] {
    var parsed: [DeviceMessage] = []
    var inbox: [DiscoveryInventory.Shown?] = []
    parsed.reserveCapacity(messages.count)
    inbox.reserveCapacity(messages.count)
    for message in messages {
      let message = DeviceMessage(message)
      switch message.parsed {
      case .native(let native): inbox.append(discovery.ingest(native, now: now))
      case .tasmota(let tasmota): inbox.append(discovery.ingest(tasmota, now: now))
      }
      parsed.append(message)
    }
    var queries: [(topic: String, payload: String)] = []
    for (shown, facts) in zip(inbox, state.ingest(parsed, now: now)) {
      if let shown { announce(shown) }
      apply(facts)
      queries += facts.queries
    }
    return queries
  }

  /// The discovery inbox gained a device or one changed: administrators' streams re-read it (the dashboard's live
  /// inbox).
  func announce(_ shown: DiscoveryInventory.Shown) {
    let event = RealtimeEvent.Discovery(
      change: shown.change.rawValue, mqttDeviceId: shown.mqttDeviceID, ts: RealtimeEvent.now())
    hub.publish(device: nil, json: RealtimeEvent.json(event), adminsOnly: true)
  }

  /// Passes what the state service learned on: the status goes out before the acknowledgement it causes, so
  /// subscribers see cause before effect.
  func apply(_ facts: StateFacts) {
    for event in facts.events { hub.publish(device: event.device, json: event.json) }
    guard let key = facts.mqttKey else { return }
    var acknowledged: Set<Int> = []
    for (relay, power) in facts.reports
    where commands.deviceReported(mqttKey: key, relay: relay, power: power, at: facts.at) {
      acknowledged.insert(relay)
    }
    // A change that acknowledged no command, and that no pending command asked for, happened on the device (a
    // wall switch, Tasmota's own timer): it goes into the lamp's history.
    for change in facts.changes where !acknowledged.contains(change.relay) {
      guard !commands.awaits(mqttKey: key, relay: change.relay, power: change.power) else { continue }
      for device in change.devices {
        history.record(
          NewDeviceHistory(
            deviceInternalId: device.id, channel: device.commandChannel, power: PowerAction(change.power),
            source: facts.source, occurredAt: facts.at))
      }
    }
    if let requestID = facts.echoedRequestID {
      commands.deviceAcknowledged(mqttKey: key, wireRequestID: requestID, at: facts.at)
    }
    if let refusal = facts.refusal {
      commands.deviceRefused(mqttKey: key, wireRequestID: refusal.wireRequestID, code: refusal.code)
    }
  }
}
