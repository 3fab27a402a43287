import ArgumentParser
import Foundation
import Logging
import SmartLampCore
import SmartLampServer
import SmartLampStore

#if canImport(Glibc)
  import Glibc
#endif

/// `smartlamp user create|list|passwd|role|deactivate|activate`: accounts from the command line, e.g. the first
/// admin, or the way back in when the only admin forgot the password.
struct UserCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "user", abstract: "Create, list and recover user accounts.",
    subcommands: [Create.self, List.self, Passwd.self, SetRole.self, Deactivate.self, Activate.self])

  struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a user (member unless --admin).")

    @OptionGroup var options: ConfigOptions
    @Option(help: "Email address (unique, case-insensitive).") var email: String
    @Option(help: "Display name (1–255 characters).") var name: String
    @Flag(help: "Give the account the admin role.") var admin = false
    @Flag(help: "Read the password from the first line of standard input.") var passwordStdin = false

    func run() async throws {
      let config = try options.load()
      SmartLampLogHandler.bootstrap(config)
      let password = try readPassword(fromStdin: passwordStdin)
      let user = try await withStore(config) { database in
        try await reportingAccountErrors {
          try await UserAdministration.createUser(
            database: database, email: email, name: name, password: password, admin: admin,
            hasher: PasswordHasher(cost: config.bcryptCost))
        }
      }
      print("created \(user.role.rawValue) \(user.email) (id \(user.id))")
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List users.")
    @OptionGroup var options: ConfigOptions
    @Flag(help: "Include archived users.") var includeArchived = false

    func run() async throws {
      let config = try options.load()
      SmartLampLogHandler.bootstrap(config)
      let users = try await withStore(config) {
        try await UserAdministration.listUsers(database: $0, includeArchived: includeArchived)
      }
      print("id\temail\tname\trole\tactive\tarchived")
      for user in users {
        print("\(user.id)\t\(user.email)\t\(user.name)\t\(user.role.rawValue)\t\(user.isActive)\t\(user.isArchived)")
      }
    }
  }
}

extension UserCommand {
  struct Passwd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Set a new password (ends the account's sessions and clears its login lock-out).")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "Email address of the account.") var email: String
    @Flag(help: "Read the new password from the first line of standard input.") var passwordStdin = false

    func run() async throws {
      let config = try options.load()
      SmartLampLogHandler.bootstrap(config)
      let password = try readPassword(fromStdin: passwordStdin, prompt: "New password: ")
      let outcome = try await recover(.password(password), email: email, config: config)
      print("password changed for \(outcome.email); their sessions have ended")
    }
  }

  struct SetRole: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "role", abstract: "Make an account admin or member (ends its sessions when the role changes).")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "Email address of the account.") var email: String
    @Argument(help: "admin or member.") var role: Role

    func run() async throws {
      let config = try options.load()
      SmartLampLogHandler.bootstrap(config)
      let outcome = try await recover(.role(role), email: email, config: config)
      print("\(outcome.email) is now \(outcome.role.rawValue)")
    }
  }

  struct Deactivate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Stop an account from signing in (ends its sessions; the last active admin stays).")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "Email address of the account.") var email: String

    func run() async throws {
      let config = try options.load()
      SmartLampLogHandler.bootstrap(config)
      let outcome = try await recover(.active(false), email: email, config: config)
      print("\(outcome.email) is deactivated; their sessions have ended")
    }
  }

  struct Activate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Let a deactivated or archived account sign in again.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "Email address of the account.") var email: String

    func run() async throws {
      let config = try options.load()
      SmartLampLogHandler.bootstrap(config)
      let outcome = try await recover(.active(true), email: email, config: config)
      print("\(outcome.email) is active (\(outcome.role.rawValue))")
    }
  }
}

extension Role: ExpressibleByArgument {}

/// Applies one recovery change.
private func recover(_ change: AccountRecovery.Change, email: String, config: Configuration) async throws
  -> AccountRecovery.Outcome
{
  try await withStore(config) { database in
    try await reportingAccountErrors {
      try await AccountRecovery.apply(
        change, toEmail: email, database: database, hasher: PasswordHasher(cost: config.bcryptCost))
    }
  }
}

/// Runs an account change; a refusal prints one line (exit 1), bad fields one line each (exit 2).
private func reportingAccountErrors<T>(_ body: () async throws -> T) async throws -> T {
  do {
    return try await body()
  } catch let error as FieldErrors {
    for (field, messages) in error.errors.sorted(by: { $0.key < $1.key }) {
      printError("smartlamp: \(field): \(messages.joined(separator: "; "))")
    }
    throw ExitCode(2)
  } catch let error as UserAdministration.Failure {
    printError("smartlamp: \(error.message)")
    throw ExitCode(1)
  }
}

func readPassword(fromStdin: Bool, prompt: String = "Password: ") throws -> String {
  if fromStdin {
    guard let line = Swift.readLine(strippingNewline: true) else {
      throw ValidationError("--password-stdin given but standard input is empty")
    }
    return line
  }
  guard isatty(STDIN_FILENO) == 1, let entered = getpass(prompt) else {
    throw ValidationError("no terminal to ask for the password; use --password-stdin")
  }
  return String(cString: entered)
}

func printError(_ line: String) {
  FileHandle.standardError.write(Data((line + "\n").utf8))
}
