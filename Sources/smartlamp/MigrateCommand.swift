import ArgumentParser
import Logging
import SmartLampServer
import SmartLampStore

/// `smartlamp migrate`: applies pending migrations and reports the schema version.
struct MigrateCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply database migrations.")

  @OptionGroup var options: ConfigOptions

  func run() async throws {
    let config = try options.load()
    SmartLampLogHandler.bootstrap(config)
    let database = try await openStore(config)
    let versions = try await StoreBootstrap.appliedVersions(database)
    try await database.close()
    print("database is at migration \(versions.last ?? "none") (\(versions.count) applied)")
  }
}

/// Opens and migrates the configured database, turning startup problems into one line and exit status 1.
func openStore(_ config: Configuration) async throws -> any SQLDatabase {
  do {
    return try await StoreBootstrap.open(configuration: config, logger: Logger(label: "smartlamp"))
  } catch let error as StartupError {
    printError("smartlamp: \(error.description)")
    throw ExitCode(1)
  }
}
