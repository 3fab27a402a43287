import MQTT
import SmartLampCore
import SmartLampStore
import Synchronization
import Tasmota

/// A continuously kept inventory of the devices seen on the broker (CONTRACT §10): Tasmota's retained native
/// discovery configs, LWT, power reports, telemetry and status replies, and the SmartLamp firmware's retained
/// `home/<id>/lwt` and `home/<id>/status` (issue #11). Discovery answers from it at once.
final class DiscoveryInventory: Sendable {
  struct Entry: Sendable, Hashable {
    /// The device id as last written on the wire.
    var mqttDeviceID: String
    var order: TasmotaTopicOrder = .prefixFirst
    var online: Bool?
    var channels: Set<TasmotaChannel> = []
    var power: [TasmotaChannel: TasmotaPower] = [:]
    var sources: Set<String> = []
    var lastSeenAt: Int64 = 0
    /// When the last status reply arrived (a discovery probe waits for it).
    var statusSeenAt: Int64 = 0
    var tasmotaTopic: String?
    var friendlyNames: [String] = []
    var deviceName: String?
    /// `native` once it published on `home/<id>/…`, `tasmota` from Tasmota-only messages; `stat/` replies (both
    /// kinds send them) only fill in an unknown profile.
    var profile: DeviceProfile?

    /// What the inbox shows of the entry besides times and power.
    fileprivate var inboxFields: InboxFields {
      InboxFields(
        online: online, channels: channels, tasmotaTopic: tasmotaTopic, friendlyNames: friendlyNames,
        deviceName: deviceName, profile: profile, order: order)
    }

    /// How a discovery probe asks this device to answer: `STATUS 0` for Tasmota, an empty `POWER` (state query)
    /// for a native lamp, which answers it on `home/<id>/status`.
    var probe: (topic: String, payload: String) {
      profile == .native
        ? TasmotaCommand.powerQuery(deviceID: mqttDeviceID, order: .prefixFirst)
        : TasmotaCommand.statusQuery(deviceID: mqttDeviceID, order: order)
    }
  }

  fileprivate struct InboxFields: Equatable {
    var online: Bool?
    var channels: Set<TasmotaChannel>
    var tasmotaTopic: String?
    var friendlyNames: [String]
    var deviceName: String?
    var profile: DeviceProfile?
    var order: TasmotaTopicOrder
  }

  private struct State {
    var entries: [String: Entry] = [:]
    /// MAC → device key, so a withdrawn discovery config can be matched.
    var macs: [String: String] = [:]
  }

  /// What the inbox shows changed for a device: it appeared (`added`), or its online state, relays, names, topic or
  /// profile changed (`changed`). Last-seen times alone are no change: every report would be one.
  enum Change: String, Sendable {
    case added, changed
  }

  /// A change the inbox shows, for the ingest loop to tell administrators' streams.
  struct Shown: Sendable, Equatable {
    /// The device id as the message wrote it.
    var mqttDeviceID: String
    var change: Change
  }

  private let state = Mutex(State())
  /// Devices kept at most (oldest forgotten first), so a broker full of strangers cannot exhaust memory.
  let capacity: Int

  init(capacity: Int = 10_000) {
    self.capacity = capacity
  }

  @discardableResult
  func ingest(_ message: MQTTMessage, now: Int64 = Timestamp.nowMillis()) -> Shown? {
    ingest(TasmotaMessage.parse(topic: message.topic, payload: Array(message.payload.readableBytesView)), now: now)
  }

  /// A native lamp's retained lwt or status: it announces itself with them (only what parsed cleanly counts).
  @discardableResult
  func ingest(_ parsed: NativeMessage, now: Int64 = Timestamp.nowMillis()) -> Shown? {
    switch parsed {
    case .availability(let lwt):
      return update(lwt.deviceID, order: .prefixFirst, source: "home_lwt", now: now) { entry in
        entry.profile = .native
        entry.online = lwt.online
      }
    case .status(let status):
      return update(status.deviceID, order: .prefixFirst, source: "home_status", now: now) { entry in
        entry.profile = .native
        entry.statusSeenAt = now
        entry.channels.insert(.power)
        if !status.isRefusal { entry.power[.power] = status.power }
      }
    case .notForUs, .malformed:
      return nil
    }
  }

  @discardableResult
  func ingest(_ parsed: TasmotaMessage, now: Int64 = Timestamp.nowMillis()) -> Shown? {
    switch parsed {
    case .availability(let lwt):
      return update(lwt.deviceID, order: lwt.order, source: "lwt", now: now) { entry in
        entry.profile = .tasmota
        if let online = lwt.online { entry.online = online }
      }
    case .power(let report):
      let source = report.source == .result ? "result" : "power"
      return update(report.deviceID, order: report.order, source: source, now: now) { entry in
        entry.profile = entry.profile ?? .tasmota
        if let channel = report.topicChannel { entry.channels.insert(channel) }
        for state in report.states {
          entry.channels.insert(state.channel)
          entry.power[state.channel] = state.power
        }
      }
    case .telemetry(let telemetry):
      return update(telemetry.deviceID, order: telemetry.order, source: "state", now: now) { entry in
        entry.profile = .tasmota
        for state in telemetry.states {
          entry.channels.insert(state.channel)
          entry.power[state.channel] = state.power
        }
      }
    case .status(let status):
      return update(status.deviceID, order: status.order, source: status.number == 11 ? "status11" : "status", now: now)
      {
        entry in
        entry.profile = .tasmota
        entry.statusSeenAt = now
        if let topic = status.topic { entry.tasmotaTopic = topic }
        if !status.friendlyNames.isEmpty { entry.friendlyNames = status.friendlyNames }
        if let name = status.deviceName { entry.deviceName = name }
        for state in status.states {
          entry.channels.insert(state.channel)
          entry.power[state.channel] = state.power
        }
      }
    case .discovery(let config):
      let order = config.topicOrder ?? .prefixFirst
      let shown = update(config.topic, order: order, source: "discovery", now: now) { entry in
        entry.profile = .tasmota
        entry.channels.formUnion(config.channels)
        let names = config.friendlyNames.compactMap { $0 }
        if !names.isEmpty { entry.friendlyNames = names }
        if let name = config.deviceName { entry.deviceName = name }
        entry.tasmotaTopic = entry.tasmotaTopic ?? config.topic
      }
      state.withLock { $0.macs[config.mac] = TasmotaTopic.deviceKey(config.topic) }
      return shown
    case .discoveryRemoved(let mac):
      state.withLock { state in
        if let key = state.macs.removeValue(forKey: mac) { state.entries[key]?.sources.remove("discovery") }
      }
      return nil
    case .notForUs, .malformed:
      return nil
    }
  }

  /// Applies a message's news to the device's entry; returns what the inbox shows changed, if anything.
  private func update(
    _ deviceID: String, order: TasmotaTopicOrder, source: String, now: Int64, _ change: (inout Entry) -> Void
  ) -> Shown? {
    let key = TasmotaTopic.deviceKey(deviceID)
    let shown = state.withLock { state -> Change? in
      // Taken out while it changes, so that its collections are not copied on write (a copy per report).
      let stored = state.entries.removeValue(forKey: key)
      let before = stored?.inboxFields
      var entry = (consume stored) ?? Entry(mqttDeviceID: deviceID)
      entry.mqttDeviceID = deviceID
      entry.order = order
      entry.sources.insert(source)
      entry.lastSeenAt = now
      change(&entry)
      state.entries[key] = entry
      if state.entries.count > capacity,
        let oldest = state.entries.min(by: { $0.value.lastSeenAt < $1.value.lastSeenAt })
      {
        state.entries[oldest.key] = nil
      }
      guard let before else { return .added }
      return before == entry.inboxFields ? nil : .changed
    }
    return shown.map { Shown(mqttDeviceID: deviceID, change: $0) }
  }

  /// Every device, newest first (then by id).
  func snapshot() -> [Entry] {
    state.withLock { state in
      state.entries.values.sorted {
        $0.lastSeenAt != $1.lastSeenAt ? $0.lastSeenAt > $1.lastSeenAt : $0.mqttDeviceID < $1.mqttDeviceID
      }
    }
  }

  func entry(_ deviceID: String) -> Entry? {
    state.withLock { $0.entries[TasmotaTopic.deviceKey(deviceID)] }
  }
}
