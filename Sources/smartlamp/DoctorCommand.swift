import ArgumentParser
import Foundation
import Logging
import SmartLampServer

/// `smartlamp doctor`: one line per check (config, database, backups, clock, broker, subscriptions, disk,
/// certificates) with the fix for anything wrong; exit status 1 when a check failed.
struct DoctorCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "doctor", abstract: "Check the configuration, database, broker, clock, disk and certificates.")

  @OptionGroup var options: ConfigOptions

  func run() async throws {
    let loader = ConfigurationLoader(configFile: options.config, flags: try options.flagValues())
    let config: Configuration
    do {
      config = try loader.load()
    } catch {
      print("FAIL  config       \(error.description) — fix: correct that setting (`smartlamp settings` lists them)")
      throw ExitCode(1)
    }
    let checks = await Doctor.run(
      configuration: config, configFile: loader.configFile, logger: Logger(label: "smartlamp-doctor"))
    for check in checks { print(check.description) }
    if checks.contains(where: { $0.status == .fail }) { throw ExitCode(1) }
  }
}
