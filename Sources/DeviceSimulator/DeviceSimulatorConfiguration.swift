import Tasmota

/// The broker to use and the devices to simulate on it.
public struct DeviceSimulatorConfiguration: Sendable {
  /// `mqtt://`, `mqtts://`, `ws://` or `wss://` URL, as the server takes it.
  public var brokerURL: String
  public var username: String?
  public var password: String?
  /// PEM CA file for TLS brokers.
  public var caFile: String?
  /// Tasmota's default MqttKeepAlive is 30 s.
  public var keepAlive: Duration = .seconds(30)
  /// Backoff between reconnect attempts after an unplanned loss (Tasmota's MqttRetry is 10 s; we are quicker).
  public var reconnectDelay: Duration = .milliseconds(500)
  public var maximumReconnectDelay: Duration = .seconds(10)
  public var devices: [SimulatedDeviceConfiguration]

  public init(brokerURL: String, devices: [SimulatedDeviceConfiguration]) {
    self.brokerURL = brokerURL
    self.devices = devices
  }

  /// `count` devices named `<prefix>_000001` …, each with `relays` relays, the same teleperiod and faults. The
  /// drop decisions are still independent per device (each salts the seed with its MAC).
  public static func fleet(
    brokerURL: String, count: Int, relays: Int = 1, prefix: String = "tasmota", firstIndex: Int = 1,
    teleperiod: Duration = .seconds(300), faults: FaultPolicy = FaultPolicy(), profile: SimulatorProfile = .tasmota,
    secret: String? = nil
  ) -> DeviceSimulatorConfiguration {
    let devices = (0..<max(0, count)).map { offset in
      var device = SimulatedDeviceConfiguration(
        index: firstIndex + offset, prefix: prefix, relays: profile == .native ? 1 : relays)
      device.teleperiod = teleperiod
      device.faults = faults
      device.profile = profile
      device.secret = secret
      return device
    }
    return DeviceSimulatorConfiguration(brokerURL: brokerURL, devices: devices)
  }
}
