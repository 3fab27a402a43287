import DeviceSimulator
import Logging
import ServiceLifecycle
import SmartLampCore
import SmartLampStore
import Tasmota

/// Demo mode (`--demo`): simulated Tasmota lamps on the configured broker, registered as devices when missing, so
/// a newcomer sees a working system at once. The simulator runs until shutdown (its lamps then go `Offline`).
struct DemoLamps: Service {
  let simulator: DeviceSimulator
  let state: DeviceStateService
  let devices: DeviceRepository
  let logger: Logger

  static let prefix = "demo"

  init(configuration: Configuration, state: DeviceStateService, devices: DeviceRepository, logger: Logger) throws {
    var simulation = DeviceSimulatorConfiguration.fleet(
      brokerURL: configuration.mqttURL, count: max(0, configuration.demoDevices), prefix: Self.prefix,
      teleperiod: .seconds(60))
    simulation.username = configuration.mqttUsername
    simulation.password = configuration.mqttPassword
    simulation.caFile = configuration.mqttCAFile
    simulator = try DeviceSimulator(configuration: simulation, logger: logger)
    self.state = state
    self.devices = devices
    self.logger = logger
  }

  /// Every simulated relay as a device entity: `<topic>` for a single relay, `<topic>__POWER<n>` otherwise.
  var entities: [NewDevice] {
    simulator.configuration.devices.flatMap { device in
      device.channels.compactMap { channel -> NewDevice? in
        // Simulator topics and entity ids are valid device ids; one that were not is skipped, not registered.
        guard let id = try? DeviceID(channel.entityID(mqttID: device.topic)), let topic = try? DeviceID(device.topic)
        else { return nil }
        return NewDevice(
          deviceId: id, mqttDeviceId: topic, name: device.friendlyName(relay: channel.relay), location: "Demo",
          commandChannel: CommandChannel(tasmota: channel))
      }
    }
  }

  /// Registers the demo devices that do not exist yet.
  func register() async throws {
    for entity in entities where state.device(publicID: entity.deviceId.rawValue) == nil {
      do {
        _ = try await devices.create(entity)
      } catch StoreError.duplicate {
        continue
      }
    }
    state.setDevices(try await devices.lampDevices())
  }

  func run() async throws {
    do {
      try await register()
    } catch {
      logger.error("demo devices could not be registered", metadata: ["error": "\(error)"])
    }
    logger.notice(
      "demo mode: simulated lamps running", metadata: ["devices": "\(simulator.configuration.devices.count)"])
    await withDiscardingTaskGroup { group in
      group.addTask { await simulator.run() }
      try? await gracefulShutdown()
      group.cancelAll()
    }
  }
}
