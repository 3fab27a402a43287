import ArgumentParser
import SmartLampServer

/// `smartlamp backup`: a consistent copy of the SQLite database into `<data.dir>/backups` (safe while the server
/// runs); the newest `backup.keep` copies stay.
struct BackupCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "backup", abstract: "Copy the SQLite database into <data.dir>/backups (safe while serving).")

  @OptionGroup var options: ConfigOptions
  @Flag(help: "List the copies instead of taking one.") var list = false

  func run() throws {
    let config = try options.load()
    if list {
      for file in DatabaseBackup.list(config) { print(file) }
      return
    }
    do {
      print("backed up to \(try DatabaseBackup.take(configuration: config))")
    } catch let error as DatabaseBackup.Failure {
      printError("smartlamp: \(error.description)")
      throw ExitCode(1)
    }
  }
}
