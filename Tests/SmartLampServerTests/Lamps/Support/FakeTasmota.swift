import Foundation
import MQTT
import NIOCore
import Synchronization
import TestSupport

/// A small Tasmota stand-in for lamp tests: answers `cmnd/<id>/POWER<n>` like firmware does (RESULT + POWER<n>),
/// answers empty-payload state queries, announces `Online` retained with an `Offline` Will, and publishes raw
/// payloads on request. Tests that need fault injection use the real `DeviceSimulator`.
final class FakeTasmota: Sendable {
  let id: String
  let relays: Int
  let url: String
  private let client: MQTTClient
  private let relayState = Mutex<[Int: Bool]>([:])
  private let pump = Mutex<Task<Void, Never>?>(nil)

  init(id: String, relays: Int = 1, url: String) throws {
    self.id = id
    self.relays = relays
    self.url = url
    var configuration = try MQTTClientConfiguration(url: url, clientID: "fake-\(id)-\(UUID().uuidString.prefix(6))")
    configuration.will = MQTTWill(topic: "tele/\(id)/LWT", payload: "Offline", qos: .atLeastOnce, retain: true)
    configuration.reconnect = .disabled
    configuration.keepAlive = .seconds(5)
    client = MQTTClient(configuration: configuration)
  }

  /// Connects, listens for commands and announces itself online.
  func start() async throws {
    try await client.connect()
    let commands = try await client.subscribe(["cmnd/\(id)/+"], qos: .atMostOnce)
    let task = Task { [self] in
      for await message in commands { await self.handle(message) }
    }
    pump.withLock { $0 = task }
    try await client.publish(topic: "tele/\(id)/LWT", payload: "Online", qos: .atLeastOnce, retain: true)
  }

  func isOn(relay: Int = 1) -> Bool { relayState.withLock { $0[relay] ?? false } }

  func stop() async {
    pump.withLock { $0?.cancel() }
    await client.disconnect()
  }

  /// Publishes a raw message as this device (for malformed-input tests).
  func publishRaw(topic: String, payload: String) async throws {
    try await client.publish(topic: topic, payload: payload, qos: .atLeastOnce)
  }

  private func channelName(_ relay: Int) -> String { relays == 1 ? "POWER" : "POWER\(relay)" }

  private func handle(_ message: MQTTMessage) async {
    let suffix = message.topic.split(separator: "/").last.map { String($0).uppercased() } ?? ""
    guard suffix.hasPrefix("POWER") else { return }
    let digits = suffix.dropFirst(5)
    let relay = digits.isEmpty ? 1 : Int(digits) ?? 0
    guard (1...relays).contains(relay) else { return }
    let payload = message.payloadString.trimmingCharacters(in: .whitespaces).uppercased()
    switch payload {
    case "":
      break
    case "ON", "1":
      relayState.withLock { $0[relay] = true }
    case "OFF", "0":
      relayState.withLock { $0[relay] = false }
    default:
      return
    }
    await report(relay: relay)
  }

  /// Reports one relay's state as firmware does after a command or query.
  func report(relay: Int = 1) async {
    let text = isOn(relay: relay) ? "ON" : "OFF"
    let name = channelName(relay)
    try? await client.publish(topic: "stat/\(id)/RESULT", payload: "{\"\(name)\":\"\(text)\"}", qos: .atMostOnce)
    try? await client.publish(topic: "stat/\(id)/\(name)", payload: text, qos: .atMostOnce)
  }
}
