import Logging
import MQTT
import SmartLampCore
import SmartLampStore
import Synchronization
import Tasmota

/// The live state of every device (CONTRACT §7): every Tasmota power report, telemetry, status and LWT message,
/// and every native lamp status and lwt (issue #11), updates an in-memory state per device and relay; registered
/// device entities are written through to `device_state` in batches (``flush()``) and loaded at start. It calls
/// nobody: each message returns ``StateFacts`` (realtime events, reports that may acknowledge commands, changes,
/// a native echo or refusal, state queries) for the ingest loop to pass on. Malformed payloads are counted and
/// logged, never applied. The profile (tasmota/native) follows what a
/// device publishes: `home/<id>/…` means native, Tasmota-only reports (tele, STATUS) mean tasmota, and the `stat/`
/// replies both kinds send only fill in a profile not yet known.
final class DeviceStateService: Sendable {
  private struct Table {
    var directory = DeviceDirectory()
    /// Moves with every change of `directory`, so a reload read before a change never overwrites it.
    var directoryVersion: UInt64 = 0
    var live: [String: LiveDevice] = [:]
    /// Internal ids of entities whose state changed since the last flush.
    var dirty: Set<Int64> = []
    var ingested = 0
    var malformed = 0

    /// Counts a message from the device under `key` and takes its live state out for updating (the caller puts it
    /// back): when it was seen, the id and topic order it speaks with, and what the message says of its profile.
    mutating func takeSeen(
      _ key: String, wireID: String, order: TasmotaTopicOrder, profile: ProfileSignal, at now: Int64
    ) -> LiveDevice {
      ingested += 1
      var device = live.removeValue(forKey: key) ?? LiveDevice()
      device.order = order
      device.lastSeenAt = now
      device.wireID = wireID
      device.profile = profile.applied(to: device.profile)
      return device
    }
  }

  private let table = Mutex(Table())
  let store: DeviceStateRepository
  let logger: Logger

  init(store: DeviceStateRepository, logger: Logger) {
    self.store = store
    self.logger = logger
  }

  // MARK: devices

  /// Replaces the registered entities (at start and after every device change).
  func setDevices(_ devices: [LampDevice]) {
    table.withLock { table in
      table.directory = DeviceDirectory(devices)
      table.directoryVersion &+= 1
    }
  }

  /// Replaces the registered entities with a list read from the database, unless a device changed in this process
  /// since `version` was read (the list may predate that change): false then, and the caller reads again later.
  func setDevices(_ devices: [LampDevice], ifUnchangedSince version: UInt64) -> Bool {
    table.withLock { table in
      guard table.directoryVersion == version else { return false }
      table.directory = DeviceDirectory(devices)
      table.directoryVersion &+= 1
      return true
    }
  }

  /// See ``setDevices(_:ifUnchangedSince:)``.
  var devicesVersion: UInt64 { table.withLock { $0.directoryVersion } }

  /// Adds or replaces one registered entity, leaving every other as it is (after a device change).
  func upsertDevice(_ device: LampDevice) {
    table.withLock { table in
      table.directory.upsert(device)
      table.directoryVersion &+= 1
    }
  }

  /// Forgets one registered entity (after a delete).
  func removeDevice(internalID: Int64) {
    table.withLock { table in
      table.directory.remove(internalID: internalID)
      table.directoryVersion &+= 1
    }
  }

  /// Whether the devices held match the table's visibility signature (its device count, highest id and secrets).
  func holdsDevices(matching signature: String) -> Bool {
    let parts = signature.split(separator: "|", omittingEmptySubsequences: false)
    guard parts.count == 3 else { return false }
    let held = table.withLock { $0.directory.signature }
    return parts[0] == held.devices && parts[2] == held.secrets
  }

  var devices: [LampDevice] { table.withLock { $0.directory.all } }

  func device(internalID: Int64) -> LampDevice? { table.withLock { $0.directory.byInternalID[internalID] } }

  func device(publicID: String) -> LampDevice? { table.withLock { $0.directory.byPublicID[publicID] } }

  /// The live view of one physical device, if it ever reported.
  func live(mqttKey: String) -> LiveDevice? { table.withLock { $0.live[mqttKey] } }

  /// Loads persisted state of registered entities (call after ``setDevices(_:)``).
  func load(_ rows: [DeviceStateRecord]) {
    table.withLock { table in
      for row in rows {
        guard let device = table.directory.byPublicID[row.deviceId] else { continue }
        var live = table.live[device.mqttKey] ?? LiveDevice()
        if let power = TasmotaPower(row.power) {
          let relay = device.channel.relay
          if (live.relays[relay]?.updatedAt ?? .min) < row.updatedAt {
            live.relays[relay] = ChannelReading(power: power, updatedAt: row.updatedAt)
          }
        }
        live.online = live.online ?? row.online
        if let seen = row.lastSeenAt { live.lastSeenAt = max(live.lastSeenAt ?? seen, seen) }
        live.rssi = live.rssi ?? row.rssi
        live.uptimeSec = live.uptimeSec ?? row.uptimeSec.flatMap { Int(exactly: $0) }
        live.profile = live.profile ?? row.profile
        table.live[device.mqttKey] = live
      }
    }
  }

  // MARK: status

  /// The best status of a device; `lastCommand` is its last acknowledged or published command, if any.
  func status(of device: LampDevice, lastCommand: (action: String, issuedAt: Int64)?) -> DeviceStatus {
    let live = table.withLock { $0.live[device.mqttKey] }
    return Self.status(of: device, live: live, lastCommand: lastCommand)
  }

  static func status(of device: LampDevice, live: LiveDevice?, lastCommand: (action: String, issuedAt: Int64)?)
    -> DeviceStatus
  {
    var status = DeviceStatus(
      deviceId: device.deviceId, power: PowerState.unknown.rawValue, online: live?.online, updatedAtMillis: nil,
      source: .none, rssi: live?.rssi, commandChannel: device.channel.name, profile: live?.profile)
    if let reading = live?.relays[device.channel.relay] {
      status.power = reading.power.rawValue
      status.updatedAtMillis = reading.updatedAt
      status.source = .device
    } else if let lastCommand {
      status.power = PowerState(storedValue: lastCommand.action).rawValue
      status.updatedAtMillis = lastCommand.issuedAt
      status.source = .command
    }
    return status
  }

  /// The FullTopic order a device was last seen using (commands follow it).
  func topicOrder(mqttKey: String) -> TasmotaTopicOrder {
    table.withLock { $0.live[mqttKey]?.order ?? .prefixFirst }
  }

  /// The profile a device was heard speaking; nil until then.
  func profile(of device: LampDevice) -> DeviceProfile? {
    table.withLock { $0.live[device.mqttKey]?.profile }
  }

  /// The id as the device itself writes it, once heard: commands and envelopes use its exact case.
  func wireID(mqttKey: String) -> String? {
    table.withLock { $0.live[mqttKey]?.wireID }
  }

  /// When the device was last heard and when its online state last changed (epoch ms; nil when unknown).
  func presence(of device: LampDevice) -> (lastSeenAt: Int64?, onlineChangedAt: Int64?) {
    table.withLock { table in
      let live = table.live[device.mqttKey]
      return (live?.lastSeenAt, live?.onlineChangedAt)
    }
  }

  /// The topic an ON/OFF for `device` is published to: the channel's Tasmota command topic, or `POWER` for a
  /// signed (native) lamp, in the id's wire case and the topic order the device uses.
  func commandTopic(of device: LampDevice) -> String {
    Self.commandTopic(of: device, live: live(mqttKey: device.mqttKey))
  }

  /// ``commandTopic(of:)`` from a live state already read.
  static func commandTopic(of device: LampDevice, live: LiveDevice?) -> String {
    TasmotaCommand.topic(
      deviceID: live?.wireID ?? device.mqttDeviceId, channel: device.secret == nil ? device.channel : .power,
      order: live?.order ?? .prefixFirst)
  }

  /// The live state of each device, in order (nil: never heard), read under one lock: a listing (the bootstrap)
  /// read each device's state three times, each under the lock (issue #10).
  func liveStates(of devices: some Sequence<LampDevice>) -> [LiveDevice?] {
    table.withLock { table in devices.map { table.live[$0.mqttKey] } }
  }

  var counters: (ingested: Int, malformed: Int) { table.withLock { ($0.ingested, $0.malformed) } }

  // MARK: ingest

  /// Applies one broker message (tests; the ingest loop parses each message once for every consumer).
  func ingest(_ message: MQTTMessage, now: Int64 = Timestamp.nowMillis()) -> StateFacts {
    ingest(
      TasmotaMessage.parse(topic: message.topic, payload: Array(message.payload.readableBytesView)),
      topic: message.topic, now: now)
  }

  /// Applies a message already classified.
  func ingest(_ parsed: TasmotaMessage, topic: String, now: Int64 = Timestamp.nowMillis()) -> StateFacts {
    ingest([DeviceMessage(topic: topic, parsed: .tasmota(parsed))], now: now)[0]
  }

  /// Applies a native lamp's message (`home/<id>/status`, `home/<id>/lwt`).
  func ingest(_ parsed: NativeMessage, topic: String, now: Int64 = Timestamp.nowMillis()) -> StateFacts {
    ingest([DeviceMessage(topic: topic, parsed: .native(parsed))], now: now)[0]
  }

  /// Applies messages in order under one lock (the ingest loop takes what arrived while it was busy as one
  /// batch): one fact per message, in the same order. Logging happens after the lock is let go.
  func ingest(_ messages: [DeviceMessage], now: Int64 = Timestamp.nowMillis()) -> [StateFacts] {
    var notes: [Note] = []
    let facts = table.withLock { table in
      messages.map { message in Self.apply(message, to: &table, now: now, notes: &notes) }
    }
    for note in notes { log(note) }
    return facts
  }

  /// Something to log about a message, once the table's lock is let go.
  private enum Note {
    case malformed(TasmotaParseError, topic: String, count: Int)
    case refused(NativeStatus)
  }

  private func log(_ note: Note) {
    switch note {
    case .malformed(let error, let topic, let count):
      // Logged at warning for the first few, then sampled, so a chatty broken device cannot flood the log.
      if count <= 10 || count % 1000 == 0 {
        logger.warning(
          "malformed device message ignored",
          metadata: ["topic": "\(topic.prefix(200))", "reason": "\(error)", "count": "\(count)"])
      }
    case .refused(let status):
      logger.info(
        "lamp refused a command",
        metadata: [
          "device": "\(status.deviceID)", "error": "\(status.error ?? "")",
          "requestId": "\(status.requestID ?? "-")",
        ])
    }
  }

  private static func apply(_ message: DeviceMessage, to table: inout Table, now: Int64, notes: inout [Note])
    -> StateFacts
  {
    switch message.parsed {
    case .tasmota(.power(let report)):
      return apply(
        Report(
          deviceID: report.deviceID, order: report.order, states: report.states, source: report.source.rawValue,
          acknowledges: true, profile: .tasmotaUnlessKnown), to: &table, now: now)
    case .tasmota(.telemetry(let telemetry)):
      return apply(
        Report(
          deviceID: telemetry.deviceID, order: telemetry.order, states: telemetry.states,
          source: "tasmota_tele_state", acknowledges: false, rssi: telemetry.rssi, uptime: telemetry.uptimeSeconds,
          profile: .tasmota), to: &table, now: now)
    case .tasmota(.status(let status)):
      return apply(
        Report(
          deviceID: status.deviceID, order: status.order, states: status.states, source: "tasmota_status",
          acknowledges: false, rssi: status.telemetry?.rssi, uptime: status.telemetry?.uptimeSeconds,
          profile: .tasmota), to: &table, now: now)
    case .tasmota(.availability(let availability)):
      return applyAvailability(availability, profile: .tasmota, to: &table, now: now)
    case .native(.status(let status)) where status.isRefusal:
      notes.append(.refused(status))
      return applyRefusal(status, to: &table, now: now)
    case .native(.status(let status)):
      // The firmware reports dBm; the state keeps Tasmota's quality percent (2 × (dBm + 100)), one unit for both.
      let quality = status.rssi.map { min(max(2 * ($0 + 100), 0), 100) }
      var facts = apply(
        Report(
          deviceID: status.deviceID, order: .prefixFirst, states: [TasmotaChannelState(.power, status.power)],
          source: "native_status", acknowledges: true, rssi: quality, profile: .native), to: &table, now: now)
      facts.echoedRequestID = status.requestID
      return facts
    case .native(.availability(let availability)):
      return applyAvailability(
        TasmotaAvailability(deviceID: availability.deviceID, order: .prefixFirst, text: availability.text),
        profile: .native, to: &table, now: now)
    case .tasmota(.malformed(let error)), .native(.malformed(let error)):
      table.malformed += 1
      notes.append(.malformed(error, topic: message.topic, count: table.malformed))
      return StateFacts(at: now)
    case .tasmota(.discovery), .tasmota(.discoveryRemoved), .tasmota(.notForUs), .native(.notForUs):
      return StateFacts(at: now)
    }
  }

  /// What a message says about the profile of the device that sent it.
  enum ProfileSignal {
    case native, tasmota
    /// `stat/…` replies: native lamps send them too, so they only fill in an unknown profile.
    case tasmotaUnlessKnown

    func applied(to current: DeviceProfile?) -> DeviceProfile {
      switch self {
      case .native: .native
      case .tasmota: .tasmota
      case .tasmotaUnlessKnown: current ?? .tasmota
      }
    }
  }

  /// A report of relay states (power, telemetry, status, a native lamp's status).
  private struct Report {
    var deviceID: String
    var order: TasmotaTopicOrder
    var states: [TasmotaChannelState]
    /// `device_history.source` and the status event's `reportSource`.
    var source: String
    /// Whether its relay states may acknowledge plain commands.
    var acknowledges: Bool
    var rssi: Int? = nil
    var uptime: Int? = nil
    var profile: ProfileSignal
  }

  /// A native lamp refused a command: not a state change (the lamp did not switch) and never an acknowledgement;
  /// the command it names fails with the lamp's code.
  private static func applyRefusal(_ status: NativeStatus, to table: inout Table, now: Int64) -> StateFacts {
    let key = TasmotaTopic.deviceKey(status.deviceID)
    table.ingested += 1
    var live = table.live[key] ?? LiveDevice()
    live.lastSeenAt = now
    live.wireID = status.deviceID
    if live.profile != .native {
      live.profile = .native
      for device in table.directory.byMQTTKey[key] ?? [] { table.dirty.insert(device.id) }
    }
    table.live[key] = live
    var facts = StateFacts(mqttKey: key, at: now)
    if let requestID = status.requestID, let code = status.error {
      facts.refusal = .init(wireRequestID: requestID, code: code)
    } else if status.error == "SIGNATURE_REQUIRED" {
      facts.refusal = .init(wireRequestID: nil, code: "SIGNATURE_REQUIRED")
    }
    return facts
  }

  private static func apply(_ report: Report, to table: inout Table, now: Int64) -> StateFacts {
    let key = TasmotaTopic.deviceKey(report.deviceID)
    var live = table.takeSeen(key, wireID: report.deviceID, order: report.order, profile: report.profile, at: now)
    if let rssi = report.rssi { live.rssi = rssi }
    if let uptime = report.uptime { live.uptimeSec = uptime }
    let devices = table.directory.byMQTTKey[key] ?? []
    var facts = StateFacts(mqttKey: key, at: now, source: report.source)
    for state in report.states {
      // `POWER` on a multi-relay device and `POWER1` both mean relay 1.
      let relay = state.channel.relay
      if report.acknowledges { facts.reports.append((relay, state.power)) }
      // A change from a known state (the first report of a relay is no change).
      if let before = live.relays[relay]?.power, before != state.power {
        let changed = devices.filter { $0.channel.relay == relay }
        if !changed.isEmpty { facts.changes.append(.init(relay: relay, power: state.power, devices: changed)) }
      }
      live.relays[relay] = ChannelReading(power: state.power, updatedAt: now)
    }
    for device in devices {
      table.dirty.insert(device.id)
      guard report.states.contains(where: { $0.channel.relay == device.channel.relay }) else { continue }
      let status = Self.status(of: device, live: live, lastCommand: nil)
      facts.events.append(
        .status(
          device: device.id,
          RealtimeEvent.Status(
            deviceId: device.deviceId, payload: .init(status: status, reportSource: report.source), ts: now)))
    }
    table.live[key] = live
    return facts
  }

  private static func applyAvailability(
    _ availability: TasmotaAvailability, profile: ProfileSignal, to table: inout Table, now: Int64
  ) -> StateFacts {
    let key = TasmotaTopic.deviceKey(availability.deviceID)
    var live = table.takeSeen(
      key, wireID: availability.deviceID, order: availability.order, profile: profile, at: now)
    if let online = availability.online {
      if live.online != online { live.onlineChangedAt = now }
      live.online = online
    }
    table.live[key] = live
    var facts = StateFacts(mqttKey: key, at: now)
    var channels: Set<TasmotaChannel> = []
    for device in table.directory.byMQTTKey[key] ?? [] {
      table.dirty.insert(device.id)
      channels.insert(device.channel)
      facts.events.append(
        .lwt(
          device: device.id,
          RealtimeEvent.LWT(
            deviceId: device.deviceId, payload: availability.text, online: availability.online, ts: now)))
    }
    // A device that just came online may have switched while we could not see it: ask for its state.
    if availability.online == true {
      facts.queries = channels.sorted().map {
        TasmotaCommand.powerQuery(deviceID: availability.deviceID, channel: $0, order: availability.order)
      }
    }
    return facts
  }

  /// The state query of every registered entity, sent after each (re)connect to the broker.
  func allStateQueries() -> [(topic: String, payload: String)] {
    table.withLock { table in
      var seen: Set<String> = []
      var queries: [(topic: String, payload: String)] = []
      for device in table.directory.all {
        let live = table.live[device.mqttKey]
        let query = TasmotaCommand.powerQuery(
          deviceID: live?.wireID ?? device.mqttDeviceId, channel: device.channel, order: live?.order ?? .prefixFirst)
        if seen.insert(query.topic.lowercased()).inserted { queries.append(query) }
      }
      return queries
    }
  }

  // MARK: persistence

  /// Writes the state of every entity changed since the last flush, in one transaction. On failure the entities
  /// stay dirty for the next attempt.
  func flush() async {
    let (ids, rows) = table.withLock { table -> ([Int64], [DeviceStateRecord]) in
      var ids: [Int64] = []
      var rows: [DeviceStateRecord] = []
      for id in table.dirty {
        guard let device = table.directory.byInternalID[id], let live = table.live[device.mqttKey] else { continue }
        let reading = live.relays[device.channel.relay]
        ids.append(id)
        rows.append(
          DeviceStateRecord(
            deviceId: device.deviceId, channel: device.commandChannel,
            power: PowerState(reading?.power), online: live.online,
            lastSeenAt: live.lastSeenAt, rssi: live.rssi, uptimeSec: live.uptimeSec.map(Int64.init),
            profile: live.profile, updatedAt: reading?.updatedAt ?? live.lastSeenAt ?? 0))
      }
      table.dirty.removeAll()
      return (ids, rows)
    }
    guard !rows.isEmpty else { return }
    do {
      try await store.upsert(rows)
    } catch {
      logger.warning("device state write failed; retrying", metadata: ["error": "\(error)"])
      table.withLock { table in
        for id in ids { table.dirty.insert(id) }
      }
    }
  }
}
