import Foundation
import TestSupport
import Testing

@testable import SmartLampServer

@Suite struct ConfigurationTests {
  @Test func defaultsAreTheDocumentedOnes() throws {
    let config = try ConfigurationLoader(environment: [:], dotEnvFile: nil).load()
    #expect(config.httpHost == "127.0.0.1")
    #expect(config.httpPort == 8787)
    #expect(config.database == .sqlite(path: "./data/smartlamp.sqlite"))
    #expect(config.mqttURL == "mqtt://127.0.0.1:1883")
    #expect(config.accessTokenTTLSec == 900)
    #expect(config.loginRateLimitMax == 8)
    #expect(config.commandRateLimitMax == 30)
    #expect(config.logFormat == .text)
  }

  @Test func precedenceIsFileThenDotEnvThenEnvironmentThenFlags() throws {
    let dir = TemporaryDirectory()
    let file = dir.file("smartlamp.json")
    try #"{"http": {"port": 1000, "host": "0.0.0.0"}, "log.level": "debug", "ratelimit.command-max": 5}"#
      .write(toFile: file, atomically: true, encoding: .utf8)
    let dotEnv = dir.file(".env")
    try "SMARTLAMP_HTTP_PORT=2000\nexport SMARTLAMP_LOG_LEVEL='warning' # comment\nSMARTLAMP_DEMO=true\n"
      .write(toFile: dotEnv, atomically: true, encoding: .utf8)

    let fileOnly = try ConfigurationLoader(environment: [:], configFile: file, dotEnvFile: nil).load()
    #expect(fileOnly.httpPort == 1000)
    #expect(fileOnly.httpHost == "0.0.0.0")
    #expect(fileOnly.logLevel == .debug)
    #expect(fileOnly.commandRateLimitMax == 5)

    let withDotEnv = try ConfigurationLoader(environment: [:], configFile: file, dotEnvFile: dotEnv).load()
    #expect(withDotEnv.httpPort == 2000)
    #expect(withDotEnv.logLevel == .warning)
    #expect(withDotEnv.demo)

    let env = ["SMARTLAMP_HTTP_PORT": "3000"]
    let withEnv = try ConfigurationLoader(environment: env, configFile: file, dotEnvFile: dotEnv).load()
    #expect(withEnv.httpPort == 3000)
    #expect(withEnv.httpHost == "0.0.0.0")

    let withFlags = try ConfigurationLoader(
      environment: env, configFile: file, dotEnvFile: dotEnv, flags: [("http.port", "4000")]
    ).load()
    #expect(withFlags.httpPort == 4000)
  }

  @Test(arguments: [
    ("SMARTLAMP_HTTP_PORT", "eighty", "http.port", "not a whole number"),
    ("SMARTLAMP_HTTP_PORT", "70000", "http.port", "outside"),
    ("SMARTLAMP_DATABASE_URL", "postgres://x/y", "database.url", "unsupported scheme"),
    ("SMARTLAMP_DATABASE_URL", "sqlite://", "database.url", "needs a file path"),
    ("SMARTLAMP_DATABASE_URL", "mariadb://host/db", "database.url", "user name is missing"),
    ("SMARTLAMP_MQTT_URL", "http://broker", "mqtt.url", "not a broker URL"),
    ("SMARTLAMP_MQTT_CA_FILE", "/nonexistent/ca.pem", "mqtt.ca-file", "does not exist"),
    ("SMARTLAMP_HTTP_ALLOWED_ORIGINS", "*", "http.allowed-origins", "'*' cannot be used"),
    ("SMARTLAMP_HTTP_ALLOWED_ORIGINS", "not an origin", "http.allowed-origins", "is not an origin"),
    ("SMARTLAMP_HTTP_TRUSTED_PROXIES", "10.0.0.0/33", "http.trusted-proxies", "not an IP address"),
    ("SMARTLAMP_AUTH_JWT_SECRET", "short", "auth.jwt-secret", "at least 32"),
    ("SMARTLAMP_AUTH_COOKIE_SAME_SITE", "sometimes", "auth.cookie-same-site", "not one of"),
    ("SMARTLAMP_LOG_LEVEL", "loud", "log.level", "not one of"),
    ("SMARTLAMP_LOG_FORMAT", "xml", "log.format", "not one of"),
    ("SMARTLAMP_DEMO", "perhaps", "demo", "not a boolean"),
    ("SMARTLAMP_COMMANDS_ACK_TIMEOUT_MS", "5", "commands.ack-timeout-ms", "outside"),
    ("SMARTLAMP_REALTIME_PING_INTERVAL_MS", "10", "realtime.ping-interval-ms", "outside"),
    ("SMARTLAMP_ADMIN_PASSWORD", "short", "admin.password", "8-128"),
  ])
  func badValuesNameTheSetting(variable: String, value: String, setting: String, fragment: String) throws {
    let error = #expect(throws: ConfigurationError.self) {
      try ConfigurationLoader(environment: [variable: value], dotEnvFile: nil).load()
    }
    #expect(error?.setting == setting)
    #expect(error?.source.contains(variable) == true)
    #expect(error?.description.contains(fragment) == true, "\(error?.description ?? "")")
  }

  @Test func settingsThatBelongTogether() throws {
    let onlyEmail = #expect(throws: ConfigurationError.self) {
      try ConfigurationLoader(environment: ["SMARTLAMP_ADMIN_EMAIL": "a@b.co"], dotEnvFile: nil).load()
    }
    #expect(onlyEmail?.setting == "admin.password")
    let badEmail = #expect(throws: ConfigurationError.self) {
      try ConfigurationLoader(
        environment: ["SMARTLAMP_ADMIN_EMAIL": "nobody", "SMARTLAMP_ADMIN_PASSWORD": "long enough"], dotEnvFile: nil
      ).load()
    }
    #expect(badEmail?.setting == "admin.email")
  }

  @Test func unknownKeysInFilesAndFlagsAreRefused() throws {
    let dir = TemporaryDirectory()
    let file = dir.file("c.json")
    try #"{"http": {"prot": 1}}"#.write(toFile: file, atomically: true, encoding: .utf8)
    let fromFile = #expect(throws: ConfigurationError.self) {
      try ConfigurationLoader(environment: [:], configFile: file, dotEnvFile: nil).load()
    }
    #expect(fromFile?.setting == "http.prot")
    let fromFlag = #expect(throws: ConfigurationError.self) {
      try ConfigurationLoader(environment: [:], dotEnvFile: nil, flags: [("nope", "1")]).load()
    }
    #expect(fromFlag?.message.contains("unknown setting") == true)
    try "[1,2]".write(toFile: file, atomically: true, encoding: .utf8)
    let notObject = #expect(throws: ConfigurationError.self) {
      try ConfigurationLoader(environment: [:], configFile: file, dotEnvFile: nil).load()
    }
    #expect(notObject?.message.contains("JSON object") == true)
  }

  @Test func databaseURLs() throws {
    #expect(try DatabaseURL.parse("sqlite:///var/lib/lamp.sqlite") == .sqlite(path: "/var/lib/lamp.sqlite"))
    #expect(try DatabaseURL.parse("sqlite://./x.sqlite") == .sqlite(path: "./x.sqlite"))
    #expect(
      try DatabaseURL.parse("mariadb://lamp:p%40ss@db.local:3307/lamps")
        == .mariadb(host: "db.local", port: 3307, user: "lamp", password: "p@ss", database: "lamps"))
  }

  @Test func listsAndOrigins() throws {
    let config = try ConfigurationLoader(
      environment: [
        "SMARTLAMP_HTTP_ALLOWED_ORIGINS": "https://home.example:8443/, http://localhost:5173",
        "SMARTLAMP_HTTP_TRUSTED_PROXIES": "10.0.0.0/8, ::1",
      ], dotEnvFile: nil
    ).load()
    #expect(config.allowedOrigins == ["https://home.example:8443", "http://localhost:5173"])
    #expect(config.trustedProxies == ["10.0.0.0/8", "::1"])
  }

  @Test func ipMatching() {
    let net = IPMatcher("10.1.0.0/16")!
    #expect(net.contains("10.1.200.3"))
    #expect(!net.contains("10.2.0.1"))
    #expect(net.contains("::ffff:10.1.0.9"))
    #expect(IPMatcher("::1")!.contains("::1"))
    #expect(!IPMatcher("::1")!.contains("127.0.0.1"))
    #expect(IPMatcher("300.1.1.1") == nil)
  }

  @Test func everySettingHasAnEnvironmentNameAndIsDocumentedInTheReadme() throws {
    let readme = try String(contentsOfFile: repositoryRoot + "/README.md", encoding: .utf8)
    for setting in Setting.all {
      #expect(setting.environmentName.hasPrefix("SMARTLAMP_"))
      #expect(readme.contains("`\(setting.key)`"), "README lacks \(setting.key)")
    }
  }
}
