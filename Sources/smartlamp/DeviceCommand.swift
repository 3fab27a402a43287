import ArgumentParser
import Foundation
import SmartLampCore
import SmartLampServer
import SmartLampStore
import Tasmota

#if canImport(Glibc)
  import Glibc
#endif

/// `smartlamp device list|secret set|secret clear`: lamps from the command line, above all their signing secrets
/// (issue #11). A secret is read from standard input, never from an argument (which `ps` and shell history would
/// show), and never printed. A running server picks a change up within seconds (it watches the devices table).
struct DeviceCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "device", abstract: "List devices and set or clear their signing secrets.",
    subcommands: [List.self, Secret.self])

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List devices (whether each has a secret, never it).")
    @OptionGroup var options: ConfigOptions

    func run() async throws {
      let config = try options.load()
      SmartLampLogHandler.bootstrap(config)
      let (devices, states) = try await withStore(config) { database in
        let store = Store(database: database)
        return (try await store.devices.list(), try await store.deviceStates.loadAll())
      }
      var profiles: [String: DeviceProfile] = [:]
      for state in states {
        if let profile = state.profile { profiles[state.deviceId] = profile }
      }
      print("deviceId\tmqttDeviceId\tname\tcommandChannel\tprofile\thasSecret")
      for device in devices {
        let fields = [
          device.deviceId, device.topic, device.name, device.commandChannelText,
          profiles[device.deviceId]?.rawValue ?? "-", String(device.hmacSecret != nil),
        ]
        print(fields.joined(separator: "\t"))
      }
    }
  }

  struct Secret: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Set or clear a device's signing secret.", subcommands: [SetSecret.self, ClearSecret.self])

    struct SetSecret: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Set the secret from the first line of standard input (16–128 printable ASCII, no spaces).",
        discussion: "Commands to the device then go out as signed envelopes; register the same secret on the lamp.")
      @OptionGroup var options: ConfigOptions
      @Argument(help: "The device's public id.") var id: String

      func run() async throws {
        let config = try options.load()
        SmartLampLogHandler.bootstrap(config)
        let text = try readSecret()
        let secret: DeviceSecret
        do {
          secret = try DeviceSecret(text)
        } catch let problem {
          printError("smartlamp: hmacSecret: \(problem.message)")
          throw ExitCode(2)
        }
        try await change(id, to: secret, config: config)
        print("secret set for device \(id); commands to it are now signed")
      }
    }

    struct ClearSecret: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "clear",
        abstract: "Remove the secret: commands to the device go out as plain Tasmota commands again.")
      @OptionGroup var options: ConfigOptions
      @Argument(help: "The device's public id.") var id: String

      func run() async throws {
        let config = try options.load()
        SmartLampLogHandler.bootstrap(config)
        try await change(id, to: nil, config: config)
        print("secret cleared for device \(id)")
      }
    }
  }
}

/// Writes a device's secret (nil clears it); exits 1 for an unknown device or one whose MQTT id cannot be signed.
private func change(_ id: String, to secret: DeviceSecret?, config: Configuration) async throws {
  try await withStore(config) { database in
    let devices = Store(database: database).devices
    guard let device = try await devices.byPublicId(id) else {
      printError("smartlamp: no device with id \(id)")
      throw ExitCode(1)
    }
    if secret != nil, !NativeIdentifier.isValid(device.topic) {
      printError(
        "smartlamp: device \(id): signed commands need an mqttDeviceId of 1–64 characters A-Z a-z 0-9 . _ : -")
      throw ExitCode(1)
    }
    _ = try await devices.update(id, DeviceChanges(hmacSecret: .some(secret)))
  }
}

/// One line from standard input: without echo on a terminal, as sent (only the line end removed) from a pipe.
private func readSecret() throws -> String {
  if isatty(STDIN_FILENO) == 1 {
    guard let entered = getpass("Secret: ") else { throw ValidationError("no secret entered") }
    return String(cString: entered)
  }
  guard let line = Swift.readLine(strippingNewline: true) else {
    throw ValidationError("standard input is empty: pipe the secret in, e.g. `smartlamp device secret set ID < file`")
  }
  return line.hasSuffix("\r") ? String(line.dropLast()) : line
}
