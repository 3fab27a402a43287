/// The `smartlamp` command: serve the API, realtime stream and dashboard; migrate the database; manage users and
/// API keys; run simulated lamps.
import ArgumentParser
import SmartLampServer

@main
struct SmartLampCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "smartlamp",
    abstract: "Self-hosted control for Tasmota/ESP32 lamps over MQTT.",
    version: SmartLampVersion.version,
    subcommands: [
      ServeCommand.self, MigrateCommand.self, UserCommand.self, APIKeyCommand.self, SimulateCommand.self,
      SettingsCommand.self, SetupCodeCommand.self, DeviceCommand.self, CertCommand.self,
      InstallCommand.self, UninstallCommand.self, BackupCommand.self, RestoreCommand.self, DoctorCommand.self,
    ]
  )
}
