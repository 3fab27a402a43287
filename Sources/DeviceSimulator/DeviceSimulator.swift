/// Simulated Tasmota devices on a real broker, with fault injection.
///
/// Each device is a pure state machine (``SimulatedDevice``) driven by its own connection through our `MQTT`
/// client, so it has its own Will: LWT `Offline` when it vanishes, `Online` (retained) after each connect, the
/// retained native discovery config, RESULT/POWER<n> replies, STATUS replies and STATE every teleperiod.
import Logging
import MQTT
import Tasmota

/// A fleet of simulated devices. ``run()`` keeps them alive until its task is cancelled.
///
/// ```swift
/// let simulator = try DeviceSimulator(configuration: .fleet(brokerURL: "mqtt://127.0.0.1:1883", count: 3))
/// let task = Task { await simulator.run() }
/// for await event in simulator.events { print(event) }
/// ```
public final class DeviceSimulator: Sendable {
  public let configuration: DeviceSimulatorConfiguration
  /// Everything the devices do, newest 4096 kept for a slow reader.
  public let events: AsyncStream<SimulatorEvent>
  private let lamps: [SimulatedLamp]
  private let lampsByTopic: [String: SimulatedLamp]
  private let continuation: AsyncStream<SimulatorEvent>.Continuation

  /// - Throws: ``MQTTError/invalidURL(_:)`` for a bad broker URL, before anything connects.
  public init(configuration: DeviceSimulatorConfiguration, logger: Logger = Logger(label: "smartlamp.simulator"))
    throws(MQTTError)
  {
    self.configuration = configuration
    (events, continuation) = AsyncStream.makeStream(of: SimulatorEvent.self, bufferingPolicy: .bufferingNewest(4096))
    var lamps: [SimulatedLamp] = []
    var byTopic: [String: SimulatedLamp] = [:]
    for device in configuration.devices where byTopic[device.topic] == nil {
      let lamp = try SimulatedLamp(
        configuration: device, connection: configuration, logger: logger, events: continuation)
      lamps.append(lamp)
      byTopic[device.topic] = lamp
    }
    self.lamps = lamps
    lampsByTopic = byTopic
  }

  /// The device topics, in configuration order (duplicates removed).
  public var deviceTopics: [String] { lamps.map(\.configuration.topic) }

  /// Runs every device until cancelled; then each publishes LWT `Offline` and disconnects. Ends the event stream.
  public func run() async {
    await withDiscardingTaskGroup { group in
      for lamp in lamps {
        group.addTask { await lamp.run() }
      }
    }
    continuation.finish()
  }

  /// The device's relay states, relay 1 first; nil for an unknown topic.
  public func relays(of topic: String) -> [TasmotaPower]? { lampsByTopic[topic]?.relays }

  /// Whether the device's connection is up.
  public func isOnline(_ topic: String) -> Bool { lampsByTopic[topic]?.isOnline ?? false }

  /// How many devices are connected right now.
  public var onlineCount: Int { lamps.count { $0.isOnline } }

  /// Makes a device vanish abruptly (the broker publishes its Will) and stay away until ``comeBack(_:)``.
  public func goOffline(_ topic: String) async {
    await lampsByTopic[topic]?.goOffline()
  }

  /// Lets a device that went offline reconnect (it announces `Online` again).
  public func comeBack(_ topic: String) {
    lampsByTopic[topic]?.comeBack()
  }

  /// Changes a device's reply latency and drop rate; the drop decisions restart from the policy's seed.
  public func setFaults(_ policy: FaultPolicy, for topic: String) {
    lampsByTopic[topic]?.setFaults(policy)
  }
}
