import Foundation
import HTTPTypes
import Hummingbird
import SmartLampCore
import Tasmota

/// `GET /api/v1/devices/discovery` (admin; upstream-spec §5.7 fields, CONTRACT §10): answers from the continuously
/// kept inventory at once. With `waitMs` > 0 it also sends `STATUS 0` to every known device and waits for their
/// replies, at most `waitMs` (a hard bound: upstream's scan could run far past it).
struct DiscoveryRoutes: Sendable {
  let lamps: LampServices

  static let maximumWaitMs = 5000

  func add(to api: RouterGroup<AuthenticatedContext>) {
    api.get("devices/discovery", use: discover)
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
  }

  struct Answer: Encodable, Sendable {
    let scannedAt: String
    let waitMs: Int
    let maxDevices: Int
    let devices: [Entry]
  }

  func discover(_ request: Request, context: AuthenticatedContext) async throws -> Response {
    try context.authorize(.discovery)
    let query = request.uri.queryParameters
    let waitMs = min(max(query["waitMs"].flatMap { Int(String($0)) } ?? 0, 0), Self.maximumWaitMs)
    let maxDevices = min(max(query["maxDevices"].flatMap { Int(String($0)) } ?? 200, 1), 500)
    if waitMs > 0 { await probe(waitMs: waitMs) }
    let visible = Set(try await lamps.visibleDevices(for: context.principal).map { $0.device.deviceId.lowercased() })
    let registered = Set(lamps.state.devices.map { $0.deviceId.lowercased() })
    let devices = lamps.discovery.snapshot().prefix(maxDevices).flatMap { entry in
      Self.expand(entry, visible: visible, registered: registered)
    }
    return try EnvelopeResponse.success(
      Answer(scannedAt: APITime.iso8601(Date()), waitMs: waitMs, maxDevices: maxDevices, devices: devices),
      requestID: context.requestID)
  }

  /// Sends `STATUS 0` to every known device and waits until each answered or `waitMs` passed.
  private func probe(waitMs: Int) async {
    let deadline = ContinuousClock.now.advanced(by: .milliseconds(waitMs))
    let started = APITime.epochMilliseconds()
    let known = lamps.discovery.snapshot()
    for entry in known {
      let query = entry.probe
      await lamps.broker.publishQuery(topic: query.topic, payload: query.payload)
    }
    while ContinuousClock.now < deadline {
      let answered = known.allSatisfy { entry in
        guard let now = lamps.discovery.entry(entry.mqttDeviceID) else { return false }
        return now.statusSeenAt >= started
      }
      if answered { return }
      try? await Task.sleep(for: .milliseconds(25))
    }
  }

  /// One entry per command channel of a physical device (upstream-spec §5.7).
  static func expand(_ entry: DiscoveryInventory.Entry, visible: Set<String>, registered: Set<String>) -> [Entry] {
    let channels = entry.channels.sorted()
    let suggested = TasmotaChannel.suggested(from: channels)
    let list = channels.isEmpty ? [suggested] : channels
    let overall = entry.power[suggested] ?? entry.power[.power] ?? channels.first.flatMap { entry.power[$0] }
    return list.map { channel in
      let id = channel.entityID(mqttID: entry.mqttDeviceID)
      var name = entry.friendlyName ?? Self.derivedName(entry.mqttDeviceID)
      if !(list.count == 1 && channel == .power) { name += " \(channel.name)" }
      return Entry(
        deviceId: id, mqttDeviceId: entry.mqttDeviceID, commandChannel: channel.name,
        suggestedCommandChannel: channel.name, online: entry.online,
        power: (entry.power[channel] ?? overall)?.rawValue ?? "UNKNOWN",
        availableCommandChannels: list.map(\.name), tasmotaTopic: entry.tasmotaTopic,
        sources: entry.sources.sorted(),
        lastSeenAt: APITime.iso8601(Date(timeIntervalSince1970: Double(entry.lastSeenAt) / 1000)),
        suggestedName: name, alreadyLinked: visible.contains(id.lowercased()),
        alreadyRegistered: registered.contains(id.lowercased()), profile: entry.profile?.rawValue)
    }
  }

  /// `living_room-lamp` → `Living Room Lamp`; empty → `Lampu Tasmota` (upstream-spec §5.7).
  static func derivedName(_ id: String) -> String {
    let words = id.split(whereSeparator: { $0 == "-" || $0 == "_" || $0 == " " })
    guard !words.isEmpty else { return "Lampu Tasmota" }
    return words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
  }
}

extension DiscoveryInventory.Entry {
  /// The first non-empty FriendlyName (upstream-spec §5.7), else the DeviceName.
  var friendlyName: String? { friendlyNames.first { !$0.isEmpty } ?? deviceName.flatMap { $0.isEmpty ? nil : $0 } }
}
