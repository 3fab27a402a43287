import Foundation
import HTTPTypes
import Hummingbird
import SmartLampCore
import SmartLampStore
import Tasmota

/// `GET /api/v1/devices/discovery` (admin; UPSTREAM §5.7 fields, CONTRACT §10): answers from the continuously
/// kept inventory at once. With `waitMs` > 0 it also sends `STATUS 0` to every known device and waits for their
/// replies, at most `waitMs` (a hard bound: upstream's scan could run far past it). `POST …/discovery/probe` (issue
/// #8, the inbox's "probe again") also asks the Tasmota group topic, so devices the server never heard answer too.
struct DiscoveryRoutes: Sendable {
  let lamps: LampServices

  static let maximumWaitMs = 5000
  static let defaultProbeWaitMs = 2000
  /// Tasmota's default GroupTopic: every device with the default configuration listens on it.
  static let groupTopic = "tasmotas"
  /// After a group probe, devices the server did not know may still be answering: the wait ends early only once
  /// every known device answered and this long has passed.
  static let groupAnswerWindowMs = 1000

  func add(to api: RouterGroup<AuthenticatedContext>) {
    api.get("devices/discovery", use: discover)
    api.post("devices/discovery/probe", use: probeAgain)
  }

  struct Entry: Encodable, Sendable {
    let deviceId: String
    let mqttDeviceId: String
    let commandChannel: String
    let suggestedCommandChannel: String
    @NullEncoded var online: Bool?
    let power: String
    let availableCommandChannels: [String]
    @NullEncoded var tasmotaTopic: String?
    let sources: [String]
    let lastSeenAt: String
    let suggestedName: String
    let alreadyLinked: Bool
    let alreadyRegistered: Bool
    @NullEncoded var profile: String?
    // Issue #8: what the inbox shows.
    let relays: [String]
    let lastSeenAtMs: Int64
    @NullEncoded var deviceName: String?
    /// This relay's own FriendlyName<n>, when the device sent one.
    @NullEncoded var friendlyName: String?
    let friendlyNames: [String]
    /// A lamp exists on this device and relay, whatever its id.
    let registered: Bool
    @NullEncoded var registeredDeviceId: String?
  }

  struct Answer: Encodable, Sendable {
    let scannedAt: String
    let waitMs: Int
    let maxDevices: Int
    let devices: [Entry]
  }

  struct ProbeSummary: Encodable, Sendable {
    /// Known devices asked one by one (besides the group topic).
    let sentTo: Int
    /// Of those, how many answered within the wait.
    let answered: Int
    let waitedMs: Int64
  }

  struct ProbeAnswer: Encodable, Sendable {
    let scannedAt: String
    let waitMs: Int
    let maxDevices: Int
    let devices: [Entry]
    let probe: ProbeSummary
  }

  func discover(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.discovery)
    let query = request.uri.queryParameters
    let waitMs = min(max(query["waitMs"].flatMap { Int(String($0)) } ?? 0, 0), Self.maximumWaitMs)
    let maxDevices = min(max(query["maxDevices"].flatMap { Int(String($0)) } ?? 200, 1), 500)
    if waitMs > 0 { _ = await probe(waitMs: waitMs, group: false) }
    return try EnvelopeResponse.success(
      Answer(
        scannedAt: APITime.iso8601(Date()), waitMs: waitMs, maxDevices: maxDevices,
        devices: try await inbox(for: context.principal, maxDevices: maxDevices)),
      requestID: context.requestID)
  }

  /// `POST /api/v1/devices/discovery/probe {"waitMs"?}`: `STATUS 0` to the group topic and to every known device,
  /// then the refreshed inbox after a bounded wait. A body is optional (`waitMs` may also come as a query).
  func probeAgain(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.discovery)
    var waitMs = Self.defaultProbeWaitMs
    let range = 0...Self.maximumWaitMs
    if request.headers[.contentType] != nil {
      var fields = try await request.bodyFields()
      let value = fields.int("waitMs", in: range)
      try fields.finish()
      waitMs = value ?? waitMs
    } else if let text = request.uri.queryParameters.get("waitMs") {
      var errors = FieldErrors()
      if let value = Int(text), range.contains(value) {
        waitMs = value
      } else {
        errors.add("waitMs", "must be a whole number from 0 to \(Self.maximumWaitMs)")
      }
      try errors.finish()
    }
    guard lamps.broker.isConnected else { throw APIError.brokerUnavailable() }
    let summary = await probe(waitMs: waitMs, group: true)
    let maxDevices = 500
    return try EnvelopeResponse.success(
      ProbeAnswer(
        scannedAt: APITime.iso8601(Date()), waitMs: waitMs, maxDevices: maxDevices,
        devices: try await inbox(for: context.principal, maxDevices: maxDevices), probe: summary),
      requestID: context.requestID)
  }

  /// The inbox as `principal` sees it: one entry per relay of each device heard, newest first.
  private func inbox(for principal: Principal, maxDevices: Int) async throws -> [Entry] {
    let visible = Set(try await lamps.visibleDevices(for: principal).map { $0.device.deviceId.lowercased() })
    let lampsByRelay = Self.registeredRelays(lamps.state.devices)
    return lamps.discovery.snapshot().prefix(maxDevices).flatMap { entry in
      Self.expand(entry, visible: visible, registered: lampsByRelay)
    }
  }

  /// Registered lamps by (device key, relay), and by lower-cased id: what marks an inbox entry as registered.
  struct Registered: Sendable {
    var byRelay: [String: String] = [:]
    var ids: Set<String> = []

    static func key(_ mqttKey: String, relay: Int) -> String { "\(mqttKey)#\(relay)" }
  }

  static func registeredRelays(_ devices: [LampDevice]) -> Registered {
    var registered = Registered()
    for device in devices {
      registered.ids.insert(device.deviceId.lowercased())
      let key = Registered.key(device.mqttKey, relay: device.channel.relay)
      if registered.byRelay[key] == nil { registered.byRelay[key] = device.deviceId }
    }
    return registered
  }

  /// Sends `STATUS 0` to every known device (and with `group`, to Tasmota's group topic in both topic orders) and
  /// waits until each known device answered or `waitMs` passed.
  private func probe(waitMs: Int, group: Bool) async -> ProbeSummary {
    let clock = ContinuousClock()
    let begun = clock.now
    let deadline = begun.advanced(by: .milliseconds(waitMs))
    let started = Timestamp.nowMillis()
    let known = lamps.discovery.snapshot()
    if group {
      for order in [TasmotaTopicOrder.prefixFirst, .topicFirst] {
        let query = TasmotaCommand.statusQuery(deviceID: Self.groupTopic, order: order)
        await lamps.broker.publishQuery(topic: query.topic, payload: query.payload)
      }
    }
    for entry in known {
      let query = entry.probe
      await lamps.broker.publishQuery(topic: query.topic, payload: query.payload)
    }
    let quiet = begun.advanced(by: .milliseconds(group ? min(waitMs, Self.groupAnswerWindowMs) : 0))
    func answered() -> Int {
      known.filter { entry in (lamps.discovery.entry(entry.mqttDeviceID)?.statusSeenAt ?? 0) >= started }.count
    }
    while clock.now < deadline {
      if answered() == known.count && clock.now >= quiet { break }
      try? await Task.sleep(for: .milliseconds(25))
    }
    let waited = begun.duration(to: clock.now)
    return ProbeSummary(
      sentTo: known.count, answered: answered(),
      waitedMs: waited.components.seconds * 1000 + waited.components.attoseconds / 1_000_000_000_000_000)
  }

  /// One entry per command channel of a physical device (UPSTREAM §5.7).
  static func expand(_ entry: DiscoveryInventory.Entry, visible: Set<String>, registered: Registered) -> [Entry] {
    let channels = entry.channels.sorted()
    let suggested = TasmotaChannel.suggested(from: channels)
    let list = channels.isEmpty ? [suggested] : channels
    let overall = entry.power[suggested] ?? entry.power[.power] ?? channels.first.flatMap { entry.power[$0] }
    let mqttKey = TasmotaTopic.deviceKey(entry.mqttDeviceID)
    let names = entry.friendlyNames
    return list.map { channel in
      let id = channel.entityID(mqttID: entry.mqttDeviceID)
      let own = names.indices.contains(channel.relay - 1) ? names[channel.relay - 1] : nil
      let relayName = own.flatMap { $0.isEmpty ? nil : $0 }
      var name: String
      // A relay's own FriendlyName names its lamp (a 4-relay board becomes "Teras", "Dapur", …) when it tells the
      // relays apart; otherwise the device's name with the channel.
      if let relayName, list.count == 1 || names.filter({ $0 == relayName }).count == 1 {
        name = relayName
      } else {
        name = entry.friendlyName ?? Self.derivedName(entry.mqttDeviceID)
        if !(list.count == 1 && channel == .power) { name += " \(channel.name)" }
      }
      let registeredID = registered.byRelay[Registered.key(mqttKey, relay: channel.relay)]
      return Entry(
        deviceId: id, mqttDeviceId: entry.mqttDeviceID, commandChannel: channel.name,
        suggestedCommandChannel: channel.name, online: entry.online,
        power: (entry.power[channel] ?? overall)?.rawValue ?? "UNKNOWN",
        availableCommandChannels: list.map(\.name), tasmotaTopic: entry.tasmotaTopic,
        sources: entry.sources.sorted(),
        lastSeenAt: APITime.iso8601(millis: entry.lastSeenAt),
        suggestedName: name, alreadyLinked: visible.contains(id.lowercased()),
        alreadyRegistered: registered.ids.contains(id.lowercased()), profile: entry.profile?.rawValue,
        relays: list.map(\.name), lastSeenAtMs: entry.lastSeenAt,
        deviceName: entry.deviceName.flatMap { $0.isEmpty ? nil : $0 }, friendlyName: relayName, friendlyNames: names,
        registered: registeredID != nil || registered.ids.contains(id.lowercased()),
        registeredDeviceId: registeredID ?? (registered.ids.contains(id.lowercased()) ? id : nil))
    }
  }

  /// `living_room-lamp` → `Living Room Lamp`; empty → `Lampu Tasmota` (UPSTREAM §5.7).
  static func derivedName(_ id: String) -> String {
    let words = id.split(whereSeparator: { $0 == "-" || $0 == "_" || $0 == " " })
    guard !words.isEmpty else { return "Lampu Tasmota" }
    return words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
  }
}

extension DiscoveryInventory.Entry {
  /// The first non-empty FriendlyName (UPSTREAM §5.7), else the DeviceName.
  var friendlyName: String? { friendlyNames.first { !$0.isEmpty } ?? deviceName.flatMap { $0.isEmpty ? nil : $0 } }
}
