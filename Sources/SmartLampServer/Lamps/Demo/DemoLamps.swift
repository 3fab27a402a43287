import DeviceSimulator
import Logging
import ServiceLifecycle
import SmartLampStore
import Tasmota

/// Demo mode (`--demo`): simulated Tasmota lamps on the configured broker, registered as devices when missing, so
/// a newcomer sees a working system at once. The simulator runs until shutdown (its lamps then go `Offline`).
struct DemoLamps: Service {
  let simulator: DeviceSimulator
  let state: DeviceStateService
  let devices: LampDeviceStore
  let logger: Logger

  static let prefix = "demo"

  init(configuration: Configuration, state: DeviceStateService, devices: LampDeviceStore, logger: Logger) throws {
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
  var entities: [NewLampDevice] {
    simulator.configuration.devices.flatMap { device in
      device.channels.map { channel in
        NewLampDevice(
          deviceId: channel.entityID(mqttID: device.topic), mqttDeviceId: device.topic,
          name: device.friendlyName(relay: channel.relay), location: "Demo", channel: channel)
      }
    }
  }

  /// Registers the demo devices that do not exist yet.
  func register() async throws {
    for entity in entities where state.device(publicID: entity.deviceId) == nil {
      do {
        _ = try await devices.create(entity, ownerUserID: nil)
      } catch SQLError.uniqueViolation {
        continue
      }
    }
    state.setDevices(try await devices.all())
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
