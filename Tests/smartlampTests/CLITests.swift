import Foundation
import SmartLampStore
import TestSupport
import Testing

/// The command line as users run it: the real binary on a real SQLite file in a temporary folder.
@Suite struct CLITests {
  @Test func migrateCreatesTheDatabaseAndIsRepeatable() throws {
    let dir = TemporaryDirectory(prefix: "smartlamp-cli")
    let first = try CLI.run(["migrate"], in: dir.path)
    #expect(first.status == 0, "\(first.stderr)")
    #expect(first.stdout.contains("applied"))
    #expect(FileManager.default.fileExists(atPath: dir.path + "/data/smartlamp.sqlite"))
    let again = try CLI.run(["migrate"], in: dir.path)
    #expect(again.status == 0)
    #expect(again.stdout == first.stdout)
  }

  @Test func userCreateAndList() throws {
    let dir = TemporaryDirectory(prefix: "smartlamp-cli")
    let env = ["SMARTLAMP_AUTH_BCRYPT_COST": "4"]
    let created = try CLI.run(
      ["user", "create", "--email", "Ibu@Rumah.id", "--name", "Ibu", "--admin", "--password-stdin"], in: dir.path,
      environment: env, stdin: "rahasia-sekali\n")
    #expect(created.status == 0, "\(created.stderr)")
    #expect(created.stdout.contains("created admin Ibu@Rumah.id"))
    let member = try CLI.run(
      ["user", "create", "--email", "anak@rumah.id", "--name", "Anak", "--password-stdin"], in: dir.path,
      environment: env, stdin: "password-anak\n")
    #expect(member.status == 0, "\(member.stderr)")
    #expect(member.stdout.contains("created member"))

    let duplicate = try CLI.run(
      ["user", "create", "--email", "ibu@rumah.id", "--name", "Lagi", "--password-stdin"], in: dir.path,
      environment: env, stdin: "another-password\n")
    #expect(duplicate.status != 0)
    #expect(duplicate.stderr.contains("already exists"))

    let list = try CLI.run(["user", "list"], in: dir.path, environment: env)
    #expect(list.status == 0)
    let lines = list.stdout.split(separator: "\n")
    #expect(lines.count == 3)
    #expect(lines.contains { $0.contains("Ibu@Rumah.id") && $0.contains("admin") })
    #expect(lines.contains { $0.contains("anak@rumah.id") && $0.contains("member") })
  }

  @Test func userCreateRejectsBadFieldsNamingThem() throws {
    let dir = TemporaryDirectory(prefix: "smartlamp-cli")
    let result = try CLI.run(
      ["user", "create", "--email", "not-an-email", "--name", " ", "--password-stdin"], in: dir.path,
      stdin: "short\n")
    #expect(result.status == 2)
    #expect(result.stderr.contains("email:"))
    #expect(result.stderr.contains("name:"))
    #expect(result.stderr.contains("password:"))
  }

  @Test(arguments: [
    (["serve", "--port", "http"], [String: String](), "http.port"),
    (["serve"], ["SMARTLAMP_LOG_LEVEL": "chatty"], "log.level"),
    (["migrate", "--set", "database.url=oracle://x"], [String: String](), "database.url"),
    (["serve", "--set", "nonsense=1"], [String: String](), "nonsense"),
    (["serve", "--set", "dashboard.dir=/no/such/folder"], [String: String](), "dashboard.dir"),
  ])
  func badSettingExitsNamingIt(arguments: [String], environment: [String: String], setting: String) throws {
    let dir = TemporaryDirectory(prefix: "smartlamp-cli")
    let result = try CLI.run(arguments, in: dir.path, environment: environment)
    #expect(result.status == 2)
    let lines = result.stderr.split(separator: "\n")
    #expect(lines.count == 1, "\(result.stderr)")
    #expect(result.stderr.contains("invalid setting \(setting)"), "\(result.stderr)")
  }

  /// An unreachable MariaDB stops `migrate` with one line naming the setting (never the password).
  @Test func unreachableMariaDBIsOneLineNamingTheSetting() throws {
    let dir = TemporaryDirectory(prefix: "smartlamp-cli")
    let result = try CLI.run(
      ["migrate", "--database-url", "mariadb://lamp:pw-secret@127.0.0.1:\(freePort())/lamps"], in: dir.path)
    #expect(result.status == 1)
    #expect(result.stderr.hasPrefix("smartlamp: database.url: cannot reach MariaDB at 127.0.0.1:"), "\(result.stderr)")
    #expect(result.stderr.split(separator: "\n").count == 1)
    #expect(!result.stderr.contains("pw-secret"))
  }

  /// A server older than ``MariaDBConfiguration/minimumServerVersion`` (a real mariadbd posing as 10.4.34 with
  /// `--version`) is refused at open, in one line naming database.url, and `smartlamp migrate` says the same.
  @Test(.enabled(if: MariaDBServer.isEnabled)) func aMariaDBServerThatIsTooOldIsRefusedNamingTheSetting() async throws {
    let old = try await MariaDBServer.start(extraArguments: ["--version=10.4.34-MariaDB"])
    let created = try await old.createDatabase(prefix: "old")
    do {
      await #expect {
        try await MariaDBDatabase.open(
          MariaDBConfiguration(
            endpoint: .tcp(host: "127.0.0.1", port: old.port), user: old.user, password: old.password,
            database: created.name))
      } throws: { error in
        let failure = error as? MariaDBOpenError
        return failure?.setting == "database.url"
          && failure?.description
            == "database.url: the server at 127.0.0.1:\(old.port)/\(created.name) is version 10.4.34; SmartLamp "
            + "needs MariaDB 10.5.0 or newer"
      }
      let dir = TemporaryDirectory(prefix: "smartlamp-cli")
      let result = try CLI.run(["migrate", "--database-url", created.url], in: dir.path)
      #expect(result.status == 1)
      #expect(
        result.stderr == "smartlamp: database.url: the server at 127.0.0.1:\(old.port)/\(created.name) is version "
          + "10.4.34; SmartLamp needs MariaDB 10.5.0 or newer\n", "\(result.stderr)")
      let doctor = try CLI.run(
        ["doctor", "--database-url", created.url, "--mqtt-url", "mqtt://127.0.0.1:\(freePort())"], in: dir.path)
      #expect(
        doctor.stdout.contains(
          "FAIL  db server    the server at 127.0.0.1:\(old.port)/\(created.name) is version 10.4.34; SmartLamp "
            + "needs MariaDB 10.5.0 or newer — fix: upgrade MariaDB, or point database.url at a newer server"),
        "\(doctor.stdout)")
    } catch {
      await old.stop()
      throw error
    }
    await old.stop()
  }

  /// `smartlamp migrate` on MariaDB (TCP and the Unix-socket form): applies every version once, then nothing.
  @Test(.enabled(if: MariaDBServer.isEnabled)) func migrateOnMariaDB() async throws {
    let dir = TemporaryDirectory(prefix: "smartlamp-cli")
    let database = try await MariaDBServer.shared().createDatabase(prefix: "cli")
    let first = try CLI.run(["migrate", "--database-url", database.url], in: dir.path)
    #expect(first.status == 0, "\(first.stderr)")
    #expect(first.stdout.contains("0007_keys_and_leases"), "\(first.stdout)")
    let again = try CLI.run(["migrate", "--database-url", database.socketURL], in: dir.path)
    #expect(again.status == 0, "\(again.stderr)")
    #expect(again.stdout == first.stdout)
    let denied = try CLI.run(
      ["migrate", "--database-url", database.url.replacingOccurrences(of: database.server.password, with: "nope")],
      in: dir.path)
    #expect(denied.status == 1)
    #expect(denied.stderr.contains("database.url: MariaDB at 127.0.0.1:"), "\(denied.stderr)")
    #expect(denied.stderr.contains("refused user 'smartlamp'"), "\(denied.stderr)")
  }

  @Test func settingsListsEverySetting() throws {
    let dir = TemporaryDirectory(prefix: "smartlamp-cli")
    let result = try CLI.run(["settings"], in: dir.path)
    #expect(result.status == 0)
    #expect(result.stdout.contains("`SMARTLAMP_HTTP_PORT`"))
    #expect(result.stdout.contains("`mqtt.url`"))
  }
}
