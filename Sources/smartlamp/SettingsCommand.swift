import ArgumentParser
import SmartLampServer

/// `smartlamp settings`: every setting with its environment variable and default, as the README's table.
struct SettingsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "settings", abstract: "List every setting (Markdown table).")

  func run() throws {
    print("| setting (`--set`, config file) | environment | default | meaning |")
    print("|---|---|---|---|")
    for setting in Setting.all {
      print("| `\(setting.key)` | `\(setting.environmentName)` | \(setting.defaultText) | \(setting.summary) |")
    }
  }
}
