import Foundation
import Logging
import MQTT
import SmartLampStore
import Tasmota

#if canImport(Glibc)
  import Glibc
#endif

/// `smartlamp doctor`: every part a household's server depends on, checked one by one, each answered with one
/// line — what was found and, when something is wrong, what to do about it.
public enum Doctor {
  public enum Status: String, Sendable { case ok = "ok", warn = "WARN", fail = "FAIL" }

  public struct Check: Sendable, CustomStringConvertible {
    public let name: String
    public let status: Status
    public let detail: String
    public let fix: String?

    public var description: String {
      let label = status.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)
      let name = self.name.padding(toLength: 12, withPad: " ", startingAt: 0)
      return "\(label) \(name) \(detail)" + (fix.map { " — fix: \($0)" } ?? "")
    }
  }

  /// Runs every check once the configuration has loaded.
  public static func run(configuration config: Configuration, configFile: String?, logger: Logger) async -> [Check] {
    var checks: [Check] = [configFileCheck(configFile)]
    checks += await database(config)
    checks += await broker(config, logger: logger)
    checks.append(disk(config))
    checks += certificates(config)
    return checks
  }

  static func configFileCheck(_ file: String?) -> Check {
    guard let file else {
      return Check(name: "config", status: .ok, detail: "loaded (defaults, environment and flags; no file)", fix: nil)
    }
    var info = stat()
    guard stat(file, &info) == 0 else {
      return Check(name: "config", status: .fail, detail: "\(file) cannot be read", fix: "check the path")
    }
    if info.st_mode & 0o077 != 0 {
      return Check(
        name: "config", status: .warn,
        detail:
          "\(file) is readable by other users (mode \(String(info.st_mode & 0o777, radix: 8))) and may hold secrets",
        fix: "chmod 600 \(file)")
    }
    return Check(name: "config", status: .ok, detail: "\(file) loaded, mode 600", fix: nil)
  }

  // MARK: database and clock

  static func database(_ config: Configuration) async -> [Check] {
    if let mariadb = StoreBootstrap.mariaDBConfiguration(config) { return await self.mariadb(config, mariadb) }
    guard case .sqlite(let path) = config.database else { return [] }
    guard FileManager.default.fileExists(atPath: path) else {
      return [
        Check(
          name: "database", status: .fail, detail: "no database at \(path)",
          fix: "check database.url, or create it with `smartlamp migrate`")
      ]
    }
    let database: SQLiteDatabase
    do { database = try SQLiteDatabase(path: path) } catch {
      return [
        Check(
          name: "database", status: .fail, detail: "cannot open \(path): \(error)", fix: "check the file and its owner")
      ]
    }
    var checks: [Check] = []
    do {
      let integrity = try await database.read { conn in
        try conn.queryOne("PRAGMA quick_check").map { try $0.string("quick_check") } ?? "?"
      }
      if integrity != "ok" {
        checks.append(
          Check(
            name: "database", status: .fail, detail: "\(path) is damaged: \(integrity)",
            fix: "stop the server and restore the newest copy from \(DatabaseBackup.folder(config)) "
              + "into a new, empty database (`smartlamp restore FILE`)"))
      } else {
        checks.append(await schema(database, label: path, config: config, integrity: true))
      }
      checks.append(await servers(database))
      checks.append(backups(config))
      checks.append(await clock(database))
    } catch {
      checks.append(Check(name: "database", status: .fail, detail: "\(path): \(error)", fix: "check the file"))
    }
    try? await database.close()
    return checks
  }

  /// The schema's version: this build's (ok), older (migrations pending) or newer (a later SmartLamp wrote it).
  static func schema(_ database: any SQLDatabase, label: String, config: Configuration, integrity: Bool = false)
    async -> Check
  {
    do {
      let migrator = try Migrator(database: database)
      let applied = try await migrator.appliedVersions()
      let pending = try await migrator.pendingVersions()
      let known = Set(migrator.migrations.map(\.version))
      if let newer = applied.first(where: { !known.contains($0) }) {
        return Check(
          name: "database", status: .fail, detail: "\(label) was written by a newer SmartLamp (schema \(newer))",
          fix: "install that SmartLamp version or newer")
      }
      if !pending.isEmpty {
        return Check(
          name: "database", status: .warn,
          detail: "\(label) at \(applied.last ?? "none"), \(pending.count) migration(s) pending",
          fix: "start the server or run `smartlamp migrate` (a backup is taken first)")
      }
      return Check(
        name: "database", status: .ok,
        detail: "\(label) at \(applied.last ?? "none"), all migrations applied" + (integrity ? ", integrity ok" : ""),
        fix: nil)
    } catch {
      return Check(
        name: "database", status: .fail, detail: "cannot read the schema version of \(label): \(error)",
        fix: "check the user's privileges on the database")
    }
  }

  /// The `smartlamp serve` processes running on this database (what `smartlamp restore` would ask to stop).
  static func servers(_ database: any SQLDatabase) async -> Check {
    guard let running = try? await ServerPresenceRepository(database: database).running() else {
      return Check(name: "servers", status: .warn, detail: "cannot read which servers run on it", fix: nil)
    }
    guard !running.isEmpty else {
      return Check(name: "servers", status: .ok, detail: "no server is running on this database", fix: nil)
    }
    let here = ServerPresenceRepository.localHost
    let now = Timestamp.nowMillis()
    let list = running.map { server in
      "pid \(server.pid) on \(server.host == here ? "this host" : server.host) "
        + "(seen \(max(0, now - server.renewedAt) / 1000) s ago)"
    }
    return Check(
      name: "servers", status: .ok,
      detail: "\(running.count) running on this database: \(list.joined(separator: ", "))", fix: nil)
  }

  static func backups(_ config: Configuration) -> Check {
    let backups = DatabaseBackup.list(config)
    return Check(
      name: "backups", status: .ok,
      detail: backups.isEmpty
        ? "none yet in \(DatabaseBackup.folder(config)) (one is taken before every upgrade; `smartlamp backup` any time)"
        : "\(backups.count) in \(DatabaseBackup.folder(config)), newest \((backups.last! as NSString).lastPathComponent)",
      fix: nil)
  }

  /// A server without a battery-backed clock (a Raspberry Pi) may boot with a time in the past; schedules would
  /// then run at the wrong moment. The database remembers the latest time it was written.
  static func clock(_ database: any SQLDatabase, now: Date = Date()) async -> Check {
    let latest = try? await database.read { conn -> String? in
      var newest: String?
      // MariaDB's `applied_at` is a TIMESTAMP in the server's format, not the ISO text the other columns hold.
      let migrated = conn.dialect == .sqlite ? ["SELECT MAX(applied_at) AS t FROM schema_migrations"] : []
      for sql in migrated + [
        "SELECT MAX(updated_at) AS t FROM users", "SELECT MAX(created_at) AS t FROM auth_sessions",
      ] {
        guard let value = try? conn.queryOne(sql).flatMap({ try? $0.string("t") }) else { continue }
        if newest == nil || value > newest! { newest = value }
      }
      return newest
    }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let latest = latest ?? nil,
      let written = formatter.date(from: latest) ?? ISO8601DateFormatter().date(from: latest),
      written.timeIntervalSince(now) > 120
    {
      return Check(
        name: "clock", status: .fail,
        detail: "the clock says \(ISO8601DateFormatter().string(from: now)) but the database was written at \(latest)",
        fix: "set the time: enable NTP (timedatectl set-ntp true) or add a real-time clock")
    }
    if let synced = ntpSynchronized(), !synced {
      return Check(
        name: "clock", status: .warn, detail: "the system clock is not synchronised (NTP)",
        fix: "timedatectl set-ntp true")
    }
    return Check(
      name: "clock", status: .ok, detail: "UTC \(ISO8601DateFormatter().string(from: now)), not behind the database",
      fix: nil)
  }

  private static func ntpSynchronized() -> Bool? {
    guard FileManager.default.fileExists(atPath: "/run/systemd/system") else { return nil }
    return FileManager.default.fileExists(atPath: "/run/systemd/timesync/synchronized") ? true : nil
  }

  // MARK: broker

  static func broker(_ config: Configuration, logger: Logger) async -> [Check] {
    var mqtt: MQTTClientConfiguration
    do {
      mqtt = try MQTTClientConfiguration(url: config.mqttURL, clientID: "smartlamp-doctor-\(getpid())")
    } catch {
      return [Check(name: "broker", status: .fail, detail: "\(error)", fix: "set mqtt.url like mqtt://127.0.0.1:1883")]
    }
    mqtt.username = config.mqttUsername
    mqtt.password = config.mqttPassword
    mqtt.caFile = config.mqttCAFile
    mqtt.clientCertificateFile = config.mqttClientCertificateFile
    mqtt.clientKeyFile = config.mqttClientKeyFile
    mqtt.connectTimeout = .seconds(5)
    mqtt.ackTimeout = .seconds(5)
    var quiet = logger
    quiet.logLevel = .critical
    let client = MQTTClient(configuration: mqtt, logger: quiet)
    do {
      try await client.connect()
    } catch MQTTError.connectionRefused(let code) {
      let credentials = code == .badUsernameOrPassword || code == .notAuthorized
      return [
        Check(
          name: "broker", status: .fail, detail: "\(config.mqttURL) refused the connection: \(code)",
          fix: credentials
            ? "check mqtt.username/mqtt.password against the broker's password file (mosquitto_passwd)"
            : "check the broker's log")
      ]
    } catch {
      let tls = mqtt.transport.usesTLS
      return [
        Check(
          name: "broker", status: .fail, detail: "cannot reach \(config.mqttURL): \(error)",
          fix: tls
            ? "is the broker running (systemctl status mosquitto)? does mqtt.ca-file sign its certificate and the "
              + "host name match it?"
            : "start the broker (systemctl start mosquitto) or set mqtt.url")
      ]
    }
    var checks = [
      Check(
        name: "broker", status: .ok,
        detail: "\(config.mqttURL) accepted \(config.mqttUsername.map { "user \($0)" } ?? "an anonymous client")",
        fix: nil)
    ]
    var refused: [String] = []
    let filters = TasmotaSubscriptions.all + NativeSubscriptions.all
    for filter in filters {
      do { _ = try await client.subscribe([filter]) } catch { refused.append(filter) }
    }
    await client.disconnect()
    checks.append(
      refused.isEmpty
        ? Check(name: "subscribe", status: .ok, detail: "\(filters.joined(separator: " ")) granted", fix: nil)
        : Check(
          name: "subscribe", status: .fail, detail: "the broker refused \(refused.joined(separator: " "))",
          fix: "allow these topics for \(config.mqttUsername ?? "this user") in the broker's ACL "
            + "(packaging/mosquitto/smartlamp.acl)"))
    return checks
  }

  // MARK: disk and certificates

  static func disk(_ config: Configuration) -> Check {
    var info = statvfs()
    var folder = config.dataDirectory
    while !FileManager.default.fileExists(atPath: folder), folder != "/", !folder.isEmpty {
      folder = (folder as NSString).deletingLastPathComponent
    }
    guard statvfs(folder.isEmpty ? "." : folder, &info) == 0 else {
      return Check(
        name: "disk", status: .warn, detail: "cannot measure free space at \(config.dataDirectory)", fix: nil)
    }
    let free = Double(info.f_bavail) * Double(info.f_frsize)
    let total = Double(info.f_blocks) * Double(info.f_frsize)
    let mib = Int(free / 1_048_576)
    let detail = "\(mib) MiB free at \(config.dataDirectory) (\(Int(total > 0 ? free / total * 100 : 0)) %)"
    if free < 100 * 1_048_576 {
      return Check(
        name: "disk", status: .fail, detail: detail,
        fix: "free space: old backups in \(DatabaseBackup.folder(config)), journal (journalctl --vacuum-size=100M)")
    }
    if free < 500 * 1_048_576 || (total > 0 && free / total < 0.05) {
      return Check(name: "disk", status: .warn, detail: detail, fix: "free some space before it runs out")
    }
    return Check(name: "disk", status: .ok, detail: detail, fix: nil)
  }

  static func certificates(_ config: Configuration, now: Date = Date()) -> [Check] {
    var files: [(String, String, String)] = []
    if let file = config.tlsCertificateFile {
      files.append(("https cert", file, "smartlamp cert --host <name> --ip <address>, then systemctl reload smartlamp"))
    }
    if let file = config.mqttCAFile { files.append(("broker CA", file, "renew the broker's CA and certificate")) }
    guard !files.isEmpty else {
      return [
        Check(
          name: "https", status: .ok, detail: "plain HTTP (set http.tls-cert-file/http.tls-key-file for HTTPS)",
          fix: nil)
      ]
    }
    return files.map { name, file, renew in
      do {
        let expiry = try LocalCertificateAuthority.expiry(ofPEMFile: file)
        let days = Int(expiry.timeIntervalSince(now) / 86_400)
        let until = ISO8601DateFormatter().string(from: expiry).prefix(10)
        if expiry <= now {
          return Check(name: name, status: .fail, detail: "\(file) expired on \(until)", fix: renew)
        }
        if days < 30 {
          return Check(name: name, status: .warn, detail: "\(file) expires in \(days) days (\(until))", fix: renew)
        }
        return Check(name: name, status: .ok, detail: "\(file) valid until \(until) (\(days) days)", fix: nil)
      } catch {
        return Check(
          name: name, status: .fail, detail: "\(file): \(error)", fix: "point the setting at a PEM certificate")
      }
    }
  }
}
