import ArgumentParser
import SmartLampServer
import SmartLampStore

/// `smartlamp migrate`: applies pending migrations and reports the schema version.
struct MigrateCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply database migrations.")

  @OptionGroup var options: ConfigOptions

  func run() async throws {
    let config = try options.load()
    SmartLampLogHandler.bootstrap(config)
    let versions = try await withStore(config) { try await StoreBootstrap.appliedVersions($0) }
    print("database is at migration \(versions.last ?? "none") (\(versions.count) applied)")
  }
}
