import Foundation

extension Setting {
  /// Every setting, in the order the README documents them.
  public static let all: [Setting] = http + connectionLimits + storage + mqtt + auth + rateLimits + other

  static func named(_ key: String) -> Setting? { all.first { $0.key == key } }

  private static let http: [Setting] = [
    Setting(key: "http.host", summary: "Address the HTTP server binds to", defaultText: "127.0.0.1", secret: false) {
      config, raw throws(SettingValueError) in
      guard let host = try SettingParse.optionalText(raw, max: 255) else {
        throw SettingValueError("must not be empty")
      }
      config.httpHost = host
    },
    Setting(
      key: "http.port", summary: "TCP port of the API, realtime stream and dashboard", defaultText: "8787",
      secret: false
    ) { config, raw throws(SettingValueError) in
      config.httpPort = try SettingParse.int(raw, in: 0...65535)
    },
    Setting(
      key: "http.allowed-origins",
      summary: "Comma-separated browser origins allowed by CORS and CSRF checks besides the server's own",
      defaultText: "",
      secret: false
    ) { config, raw throws(SettingValueError) in
      var origins: [String] = []
      for item in SettingParse.list(raw) { origins.append(try SettingParse.origin(item)) }
      config.allowedOrigins = origins
    },
    Setting(
      key: "http.trusted-proxies",
      summary: "Comma-separated proxy addresses/CIDRs whose X-Forwarded-For is believed", defaultText: "",
      secret: false
    ) { config, raw throws(SettingValueError) in
      var proxies: [String] = []
      for item in SettingParse.list(raw) { proxies.append(try SettingParse.ipAddressOrCIDR(item)) }
      config.trustedProxies = proxies
    },
    Setting(
      key: "http.tls-cert-file",
      summary: "PEM certificate (chain) served over HTTPS; with http.tls-key-file the port speaks HTTPS "
        + "(HTTP/2 and HTTP/1.1); re-read on SIGHUP",
      defaultText: "(plain HTTP)", secret: false
    ) { config, raw throws(SettingValueError) in
      config.tlsCertificateFile = try SettingParse.existingFile(raw)
    },
    Setting(
      key: "http.tls-key-file", summary: "PEM private key of http.tls-cert-file (keep it mode 0600)",
      defaultText: "(none)", secret: false
    ) { config, raw throws(SettingValueError) in
      config.tlsKeyFile = try SettingParse.existingFile(raw)
    },
    Setting(
      key: "http.redirect-port", summary: "With HTTPS: a plain-HTTP port that only redirects to HTTPS (e.g. 80)",
      defaultText: "(none)", secret: false
    ) { config, raw throws(SettingValueError) in
      guard try SettingParse.optionalText(raw) != nil else { config.httpRedirectPort = nil; return }
      config.httpRedirectPort = try SettingParse.int(raw, in: 1...65535)
    },
    Setting(
      key: "http.hsts-max-age-sec",
      summary: "With HTTPS: send Strict-Transport-Security with this max-age (0 = none; browsers then refuse "
        + "plain HTTP to this host for that long)",
      defaultText: "0", secret: false
    ) { config, raw throws(SettingValueError) in
      config.hstsMaxAgeSec = try SettingParse.int(raw, in: 0...63_072_000)
    },
  ]

  private static let storage: [Setting] = [
    Setting(
      key: "database.url",
      summary:
        "`sqlite://PATH` (embedded), `mariadb://user:pass@host:port/db` or `mariadb://user:pass@localhost/db?socket=/path`",
      defaultText: "sqlite://./data/smartlamp.sqlite", secret: true
    ) { config, raw throws(SettingValueError) in
      config.database = try DatabaseURL.parse(raw)
      config.databaseURL = raw
    },
    Setting(
      key: "database.tls-ca-file",
      summary: "PEM CA file that signs the MariaDB server's certificate (TLS required, server verified)",
      defaultText: "(no TLS)", secret: false
    ) { config, raw throws(SettingValueError) in
      config.databaseTLSCAFile = try SettingParse.existingFile(raw)
    },
    Setting(
      key: "data.dir", summary: "Folder for generated state (JWT secret file)", defaultText: "./data",
      secret: false
    ) { config, raw throws(SettingValueError) in
      guard let dir = try SettingParse.optionalText(raw) else { throw SettingValueError("must not be empty") }
      config.dataDirectory = dir
    },
    Setting(
      key: "backup.keep",
      summary: "SQLite copies kept in <data.dir>/backups; one is taken before an upgrade migrates the database "
        + "(0 = take none)",
      defaultText: "5", secret: false
    ) { config, raw throws(SettingValueError) in
      config.backupKeep = try SettingParse.int(raw, in: 0...1000)
    },
    Setting(
      key: "retention.commands-days", summary: "Days the command audit log and lamp history are kept (0 = forever)",
      defaultText: "90", secret: false
    ) { config, raw throws(SettingValueError) in
      config.retentionCommandsDays = try SettingParse.int(raw, in: 0...36_500)
    },
    Setting(
      key: "retention.schedule-runs-days", summary: "Days the schedule run history is kept (0 = forever)",
      defaultText: "30", secret: false
    ) { config, raw throws(SettingValueError) in
      config.retentionScheduleRunsDays = try SettingParse.int(raw, in: 0...36_500)
    },
  ]

  private static let mqtt: [Setting] = [
    Setting(
      key: "mqtt.url", summary: "Broker URL: mqtt://, mqtts://, ws:// or wss://",
      defaultText: "mqtt://127.0.0.1:1883", secret: false
    ) { config, raw throws(SettingValueError) in
      config.mqttURL = try SettingParse.brokerURL(raw)
    },
    Setting(key: "mqtt.username", summary: "Broker user name", defaultText: "(none)", secret: false) {
      config, raw throws(SettingValueError) in config.mqttUsername = try SettingParse.optionalText(raw, max: 255)
    },
    Setting(key: "mqtt.password", summary: "Broker password", defaultText: "(none)", secret: true) {
      config, raw throws(SettingValueError) in config.mqttPassword = try SettingParse.optionalText(raw, max: 1024)
    },
    Setting(
      key: "mqtt.ca-file", summary: "PEM CA file that signs the broker's TLS certificate",
      defaultText: "(system trust)", secret: false
    ) { config, raw throws(SettingValueError) in
      config.mqttCAFile = try SettingParse.existingFile(raw)
    },
    Setting(
      key: "mqtt.client-cert-file", summary: "PEM client certificate for mutual TLS", defaultText: "(none)",
      secret: false
    ) { config, raw throws(SettingValueError) in
      config.mqttClientCertificateFile = try SettingParse.existingFile(raw)
    },
    Setting(
      key: "mqtt.client-key-file", summary: "PEM private key of the client certificate", defaultText: "(none)",
      secret: false
    ) { config, raw throws(SettingValueError) in
      config.mqttClientKeyFile = try SettingParse.existingFile(raw)
    },
    Setting(
      key: "mqtt.instance-id", summary: "This server's id in its MQTT client id and status topic",
      defaultText: "(random per start)", secret: false
    ) { config, raw throws(SettingValueError) in
      guard let id = try SettingParse.optionalText(raw, max: 64) else { config.instanceID = nil; return }
      guard id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
        throw SettingValueError("use letters, digits, '-' and '_' only")
      }
      config.instanceID = id
    },
    Setting(
      key: "commands.ack-timeout-ms", summary: "How long a command waits for the device's confirmation",
      defaultText: "3000", secret: false
    ) { config, raw throws(SettingValueError) in
      config.ackTimeoutMs = try SettingParse.int(raw, in: 100...60_000)
    },
    Setting(
      key: "realtime.ping-interval-ms",
      summary: "How often the realtime stream sends a ping (the dashboard's watchdog reads it from the hello frame)",
      defaultText: "15000", secret: false
    ) { config, raw throws(SettingValueError) in
      config.realtimePingIntervalMs = try SettingParse.int(raw, in: 1000...300_000)
    },
    Setting(
      key: "scheduler.enabled",
      summary: "Run due schedules in this instance (several instances may; each slot runs once)",
      defaultText: "true", secret: false
    ) { config, raw throws(SettingValueError) in config.schedulerEnabled = try SettingParse.bool(raw) },
    Setting(
      key: "scheduler.interval-ms",
      summary:
        "Longest scheduler sleep: it wakes at the next due slot and on changes made here; this bounds how late it sees schedules changed by another instance",
      defaultText: "5000", secret: false
    ) { config, raw throws(SettingValueError) in
      config.schedulerIntervalMs = try SettingParse.int(raw, in: 100...60_000)
    },
  ]

  private static let auth: [Setting] = [
    Setting(
      key: "auth.jwt-secret",
      summary: "HS256 secret for access tokens (32+ chars); generated once into the data folder when absent",
      defaultText: "(generated)", secret: true
    ) { config, raw throws(SettingValueError) in
      guard let secret = try SettingParse.optionalText(raw) else { config.jwtSecret = nil; return }
      guard secret.utf8.count >= 32 else { throw SettingValueError("must be at least 32 characters") }
      config.jwtSecret = secret
    },
    Setting(
      key: "auth.access-token-ttl-sec", summary: "Lifetime of an access token (JWT)", defaultText: "900",
      secret: false
    ) { config, raw throws(SettingValueError) in
      config.accessTokenTTLSec = try SettingParse.int(raw, in: 30...86_400)
    },
    Setting(
      key: "auth.session-cache-ms",
      summary: "How long a checked session is trusted without reading it again; changes made through this server "
        + "apply at once, those of other instances or the CLI within this time (0 = read on every request)",
      defaultText: "1000", secret: false
    ) { config, raw throws(SettingValueError) in
      config.sessionCacheMs = try SettingParse.int(raw, in: 0...60_000)
    },
    Setting(
      key: "auth.refresh-token-ttl-sec", summary: "Lifetime of a refresh token", defaultText: "2592000",
      secret: false
    ) { config, raw throws(SettingValueError) in
      config.refreshTokenTTLSec = try SettingParse.int(raw, in: 300...34_560_000)
    },
    Setting(
      key: "auth.cookie-secure", summary: "`auto` (Secure when the request is HTTPS), `always` or `never`",
      defaultText: "auto", secret: false
    ) { config, raw throws(SettingValueError) in
      config.cookieSecure = try SettingParse.choice(raw, Configuration.CookieSecurity.self)
    },
    Setting(
      key: "auth.cookie-same-site", summary: "SameSite of the auth cookies: lax, strict or none",
      defaultText: "lax", secret: false
    ) { config, raw throws(SettingValueError) in
      config.cookieSameSite = try SettingParse.choice(raw, Configuration.SameSite.self)
    },
    Setting(
      key: "admin.email", summary: "Creates this first admin at start, only while no admin exists",
      defaultText: "(none)", secret: false
    ) { config, raw throws(SettingValueError) in
      config.adminEmail = try SettingParse.optionalText(raw, max: 255)
    },
    Setting(
      key: "admin.password", summary: "Password of that first admin (8–128 characters)", defaultText: "(none)",
      secret: true
    ) { config, raw throws(SettingValueError) in
      guard let password = try SettingParse.optionalText(raw, max: 128) else { config.adminPassword = nil; return }
      guard password.count >= 8 else { throw SettingValueError("must be 8-128 characters") }
      config.adminPassword = password
    },
    Setting(key: "auth.bcrypt-cost", summary: "bcrypt cost of new password hashes", defaultText: "12", secret: false) {
      config, raw throws(SettingValueError) in config.bcryptCost = try SettingParse.int(raw, in: 4...16)
    },
  ]

  private static let rateLimits: [Setting] = [
    Setting(
      key: "ratelimit.login-max", summary: "Failed logins allowed per window (per IP and per account)",
      defaultText: "8", secret: false
    ) { config, raw throws(SettingValueError) in
      config.loginRateLimitMax = try SettingParse.int(raw, in: 1...10_000)
    },
    Setting(key: "ratelimit.login-window-sec", summary: "Login failure window", defaultText: "60", secret: false) {
      config, raw throws(SettingValueError) in
      config.loginRateLimitWindowSec = try SettingParse.int(raw, in: 1...86_400)
    },
    Setting(
      key: "ratelimit.login-backoff-base-sec", summary: "First lock-out after the limit", defaultText: "30",
      secret: false
    ) { config, raw throws(SettingValueError) in
      config.loginBackoffBaseSec = try SettingParse.int(raw, in: 1...86_400)
    },
    Setting(
      key: "ratelimit.login-backoff-factor", summary: "Growth of each further lock-out", defaultText: "2",
      secret: false
    ) { config, raw throws(SettingValueError) in
      config.loginBackoffFactor = try SettingParse.double(raw, in: 1...10)
    },
    Setting(key: "ratelimit.login-backoff-max-sec", summary: "Longest lock-out", defaultText: "900", secret: false) {
      config, raw throws(SettingValueError) in config.loginBackoffMaxSec = try SettingParse.int(raw, in: 1...604_800)
    },
    Setting(
      key: "ratelimit.command-max", summary: "Commands per window per caller and IP (0 = unlimited)",
      defaultText: "30", secret: false
    ) { config, raw throws(SettingValueError) in
      config.commandRateLimitMax = try SettingParse.int(raw, in: 0...1_000_000)
    },
    Setting(key: "ratelimit.command-window-sec", summary: "Command window", defaultText: "60", secret: false) {
      config, raw throws(SettingValueError) in
      config.commandRateLimitWindowSec = try SettingParse.int(raw, in: 1...86_400)
    },
  ]

  private static let other: [Setting] = [
    Setting(
      key: "dashboard.dir",
      summary: "Serve the dashboard from this folder instead of the copy built into the binary (development)",
      defaultText: "(built in)", secret: false
    ) { config, raw throws(SettingValueError) in
      guard let dir = try SettingParse.optionalText(raw) else {
        config.dashboardDirectory = nil
        return
      }
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw SettingValueError("folder '\(dir)' does not exist")
      }
      config.dashboardDirectory = dir
    },
    Setting(
      key: "log.level", summary: "trace, debug, info, notice, warning, error or critical", defaultText: "info",
      secret: false
    ) { config, raw throws(SettingValueError) in config.logLevel = try SettingParse.logLevel(raw) },
    Setting(
      key: "log.format", summary: "`text` or `json` (one object per line)", defaultText: "text",
      secret: false
    ) { config, raw throws(SettingValueError) in
      config.logFormat = try SettingParse.choice(raw, Configuration.LogFormat.self)
    },
    Setting(
      key: "log.file",
      summary: "Write the log to this file instead of standard error (journald under systemd); its folder must exist",
      defaultText: "(standard error)", secret: false
    ) { config, raw throws(SettingValueError) in
      config.logFile = try SettingParse.fileInExistingFolder(raw)
    },
    Setting(
      key: "log.file-max-mib", summary: "Size at which log.file is renamed to <file>.1 and started again",
      defaultText: "10", secret: false
    ) { config, raw throws(SettingValueError) in config.logFileMaxMiB = try SettingParse.int(raw, in: 1...10_240) },
    Setting(
      key: "log.file-keep", summary: "Rotated copies of log.file kept (<file>.1 newest)", defaultText: "3",
      secret: false
    ) {
      config, raw throws(SettingValueError) in config.logFileKeep = try SettingParse.int(raw, in: 0...100)
    },
    Setting(
      key: "demo", summary: "Also run simulated lamps on the broker (a demo household)", defaultText: "false",
      secret: false
    ) { config, raw throws(SettingValueError) in config.demo = try SettingParse.bool(raw) },
    Setting(key: "demo.devices", summary: "How many simulated lamps `demo` starts", defaultText: "4", secret: false) {
      config, raw throws(SettingValueError) in config.demoDevices = try SettingParse.int(raw, in: 1...1000)
    },
    Setting(
      key: "metrics.token",
      summary: "Bearer token that may also read `/metrics` (16+ visible ASCII characters); unset: admins only",
      defaultText: "(none)", secret: true
    ) { config, raw throws(SettingValueError) in
      // Messages never quote the value: it is a secret.
      guard let token = try SettingParse.optionalText(raw, max: 512) else { config.metricsToken = nil; return }
      guard token.utf8.count >= 16 else { throw SettingValueError("must be at least 16 characters") }
      guard token.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
        throw SettingValueError("must be visible ASCII characters without spaces")
      }
      config.metricsToken = token
    },
  ]
}
