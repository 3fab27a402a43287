import ArgumentParser
import Foundation
import SmartLampCore
import SmartLampServer
import SmartLampStore

/// `smartlamp apikey create|list|revoke`: API keys for integrations (CONTRACT §3). The secret is printed once.
struct APIKeyCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "apikey", abstract: "Create, list and revoke API keys.",
    subcommands: [Create.self, List.self, Revoke.self])

  struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Create an API key acting with its owner's permissions; prints the key once.")

    @OptionGroup var options: ConfigOptions
    @Option(help: "A name for the integration (1–255 characters).") var name: String
    @Option(help: "Comma-separated scopes: read, command, schedule, admin, or *.") var scopes: String
    @Option(help: "Email of the owner whose device permissions the key uses.") var owner: String
    @Option(help: "Expire the key after this many days (default: never).") var expiresInDays: Int?

    func run() async throws {
      let config = try options.load()
      SmartLampLogHandler.bootstrap(config)
      var errors = FieldErrors()
      let name = Validation.name(self.name, into: &errors)
      var parsedScopes: APIScopes?
      switch APIScopes.parse(scopes.split(separator: ",").map(String.init)) {
      case .success(let value): parsedScopes = value
      case .failure(.empty): errors.add("scopes", "must not be empty")
      case .failure(.unknown(let value)): errors.add("scopes", "unknown scope '\(value)'")
      }
      if let days = expiresInDays, !(1...3660).contains(days) {
        errors.add("expires-in-days", "must be between 1 and 3660")
      }
      guard errors.isEmpty, let name, let parsedScopes else {
        for (field, messages) in errors.errors.sorted(by: { $0.key < $1.key }) {
          printError("smartlamp: \(field): \(messages.joined(separator: "; "))")
        }
        throw ExitCode(2)
      }
      let (client, key) = try await withStore(config) { database in
        guard let ownerId = try await APIKeys.userId(email: owner, database: database) else {
          printError("smartlamp: no user with email \(owner)")
          throw ExitCode(1)
        }
        let expiresAt = expiresInDays.map {
          Int64((Date().timeIntervalSince1970 + Double($0) * 86_400) * 1000)
        }
        do {
          return try await APIKeys.create(
            database: database, name: name, scopes: parsedScopes, ownerUserId: ownerId, expiresAt: expiresAt,
            createdBy: nil)
        } catch APIKeys.Failure.ownerInactive {
          printError("smartlamp: the owner \(owner) is inactive or archived")
          throw ExitCode(1)
        }
      }
      print("created API key \(client.id) '\(client.name)' scopes \(client.scopes.joined(separator: ","))")
      print("key (shown once): \(key)")
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List API keys (never their secrets).")
    @OptionGroup var options: ConfigOptions

    func run() async throws {
      let config = try options.load()
      SmartLampLogHandler.bootstrap(config)
      let clients = try await withStore(config) { try await APIKeys.list(database: $0) }
      print("id\tname\tprefix\tscopes\towner\tactive\texpiresAt\tlastUsedAt")
      for client in clients {
        let fields = [
          String(client.id), client.name, client.keyPrefix ?? "-", client.scopes.joined(separator: ","),
          client.ownerUserId.map(String.init) ?? "-", String(client.isActive), time(client.expiresAt),
          time(client.lastUsedAt),
        ]
        print(fields.joined(separator: "\t"))
      }
    }

    private func time(_ millis: Int64?) -> String {
      guard let millis else { return "-" }
      return Date(timeIntervalSince1970: Double(millis) / 1000).formatted(.iso8601)
    }
  }

  struct Revoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Revoke an API key; it stops working at once.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The key's id (see `smartlamp apikey list`).") var id: Int64

    func run() async throws {
      let config = try options.load()
      SmartLampLogHandler.bootstrap(config)
      let client = try await withStore(config) { database in
        do {
          return try await APIKeys.revoke(database: database, id: id)
        } catch APIKeys.Failure.notFound {
          printError("smartlamp: no API key with id \(id)")
          throw ExitCode(1)
        }
      }
      print("revoked API key \(client.id) '\(client.name)'")
    }
  }
}
