import ArgumentParser
import Logging
import SmartLampServer

/// `smartlamp setup-code`: a fresh first-run setup code, printed once; the code printed before (by `serve` or an
/// earlier call) stops working. Refused once an administrator exists.
struct SetupCodeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "setup-code",
    abstract: "Print a new one-time setup code for creating the first administrator in the dashboard.")

  @OptionGroup var options: ConfigOptions

  func run() async throws {
    let config = try options.load()
    SmartLampLogHandler.bootstrap(config)
    let code = try await withStore(config) { try await FirstRunSetup.issueCode(database: $0) }
    guard let code else {
      printError("smartlamp: an administrator exists already; sign in, or use `smartlamp user create --admin`")
      throw ExitCode(1)
    }
    print(code)
  }
}
