import MQTT
import ServiceLifecycle
import SmartLampCore
import SmartLampStore
import Tasmota

/// The one path of a device message, in order: parse it once → discovery and device state (which return facts
/// and call nobody) → realtime events → the command ledger (reports, echoes, refusals) → device-side history for
/// changes no command explains → the state queries to publish back to the broker. After every (re)connect it
/// queries the state of every registered device.
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
      for await message in broker.messages.cancelOnGracefulShutdown() {
        for query in handle(message) { await broker.publishQuery(topic: query.topic, payload: query.payload) }
      }
      // Without a broker the messages end at once: returning now would stop the whole application.
      try? await gracefulShutdown()
      group.cancelAll()
    }
  }

  /// Applies one broker message; returns the state queries to publish.
  func handle(_ message: MQTTMessage, now: Int64 = Timestamp.nowMillis()) -> [(topic: String, payload: String)] {
    let payload = Array(message.payload.readableBytesView)
    let facts: StateFacts
    if let native = NativeMessage.parse(topic: message.topic, payload: payload) {
      discovery.ingest(native, now: now)
      facts = state.ingest(native, topic: message.topic, now: now)
    } else {
      let parsed = TasmotaMessage.parse(topic: message.topic, payload: payload)
      discovery.ingest(parsed, now: now)
      facts = state.ingest(parsed, topic: message.topic, now: now)
    }
    apply(facts)
    return facts.queries
  }

  /// Passes what the state service learned on: the status goes out before the acknowledgement it causes, so
  /// subscribers see cause before effect.
  func apply(_ facts: StateFacts) {
    for (device, json) in facts.events { hub.publish(device: device, json: json) }
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
