import ArgumentParser
import Foundation
import Logging
import SmartLampCore
import SmartLampServer
import SmartLampStore

#if canImport(Glibc)
  import Glibc
#endif

/// `smartlamp user create|list`: accounts from the command line, e.g. the first admin.
struct UserCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "user", abstract: "Create and list user accounts.", subcommands: [Create.self, List.self])

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
      let database = try await openStore(config)
      defer { Task { try? await database.close() } }
      do {
        let user = try await UserAdministration.createUser(
          database: database, email: email, name: name, password: password, admin: admin,
          hasher: PasswordHasher(cost: config.bcryptCost))
        print("created \(user.role.rawValue) \(user.email) (id \(user.id))")
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
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List users.")
    @OptionGroup var options: ConfigOptions
    @Flag(help: "Include archived users.") var includeArchived = false

    func run() async throws {
      let config = try options.load()
      SmartLampLogHandler.bootstrap(config)
      let database = try await openStore(config)
      let users = try await UserAdministration.listUsers(database: database, includeArchived: includeArchived)
      try await database.close()
      print("id\temail\tname\trole\tactive\tarchived")
      for user in users {
        print("\(user.id)\t\(user.email)\t\(user.name)\t\(user.role.rawValue)\t\(user.isActive)\t\(user.isArchived)")
      }
    }
  }
}

func readPassword(fromStdin: Bool) throws -> String {
  if fromStdin {
    guard let line = Swift.readLine(strippingNewline: true) else {
      throw ValidationError("--password-stdin given but standard input is empty")
    }
    return line
  }
  guard isatty(STDIN_FILENO) == 1, let entered = getpass("Password: ") else {
    throw ValidationError("no terminal to ask for the password; use --password-stdin")
  }
  return String(cString: entered)
}

func printError(_ line: String) {
  FileHandle.standardError.write(Data((line + "\n").utf8))
}
