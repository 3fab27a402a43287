import Foundation
import Logging

/// Every setting of `smartlamp serve`, validated. Built by ``ConfigurationLoader`` from defaults, an optional config
/// file, the environment (and `.env`) and command-line flags, in that order of precedence.
public struct Configuration: Sendable, Equatable {
  public enum LogFormat: String, Sendable, Equatable, CaseIterable { case text, json }
  public enum CookieSecurity: String, Sendable, Equatable, CaseIterable { case auto, always, never }
  public enum SameSite: String, Sendable, Equatable, CaseIterable { case lax, strict, none }

  public enum DatabaseLocation: Sendable, Equatable {
    case sqlite(path: String)
    /// `socket`: reach the server through this Unix socket instead of host and port.
    case mariadb(host: String, port: Int, user: String, password: String, database: String, socket: String? = nil)
  }

  // HTTP
  public var httpHost = "127.0.0.1"
  public var httpPort = 8787
  public var allowedOrigins: [String] = []
  public var trustedProxies: [String] = []
  /// PEM certificate (chain) and key: when both are set the main listener speaks HTTPS (HTTP/2 and HTTP/1.1).
  public var tlsCertificateFile: String? = nil
  public var tlsKeyFile: String? = nil
  /// A plain-HTTP port that only redirects to HTTPS; nil: none.
  public var httpRedirectPort: Int? = nil
  /// `Strict-Transport-Security` max-age on HTTPS answers; 0 sends none.
  public var hstsMaxAgeSec = 0

  /// Whether this server terminates TLS itself.
  public var servesTLS: Bool { tlsCertificateFile != nil && tlsKeyFile != nil }
  /// Open connections one client address may hold before authentication; 0: no cap.
  public var maxConnectionsPerAddress = 128

  // Storage
  public var databaseURL = "sqlite://./data/smartlamp.sqlite"
  public var database: DatabaseLocation = .sqlite(path: "./data/smartlamp.sqlite")
  /// PEM CA file of the MariaDB server's certificate: TLS is then required and the server verified.
  public var databaseTLSCAFile: String? = nil
  public var dataDirectory = "./data"
  /// Days the command audit log and the schedule run history are kept; 0 keeps them forever.
  public var retentionCommandsDays = 90
  public var retentionScheduleRunsDays = 30
  /// Database copies kept in `<data.dir>/backups` (one is taken before every upgrade migration); 0: none taken.
  public var backupKeep = 5

  // MQTT
  public var mqttURL = "mqtt://127.0.0.1:1883"
  public var mqttUsername: String? = nil
  public var mqttPassword: String? = nil
  public var mqttCAFile: String? = nil
  public var mqttClientCertificateFile: String? = nil
  public var mqttClientKeyFile: String? = nil
  public var instanceID: String? = nil
  public var ackTimeoutMs = 3000
  public var realtimePingIntervalMs = 15_000
  public var schedulerEnabled = true
  public var schedulerIntervalMs = 5000

  // Auth
  public var jwtSecret: String? = nil
  public var accessTokenTTLSec = 900
  public var sessionCacheMs = 1000
  public var refreshTokenTTLSec = 2_592_000
  public var cookieSecure: CookieSecurity = .auto
  public var cookieSameSite: SameSite = .lax
  public var adminEmail: String? = nil
  public var adminPassword: String? = nil
  public var bcryptCost = 12

  // Rate limits (UPSTREAM §7 defaults)
  public var loginRateLimitMax = 8
  public var loginRateLimitWindowSec = 60
  public var loginBackoffBaseSec = 30
  public var loginBackoffFactor = 2.0
  public var loginBackoffMaxSec = 900
  public var commandRateLimitMax = 30
  public var commandRateLimitWindowSec = 60

  // Dashboard, logging, demo
  /// A folder to serve the dashboard from instead of the copy built into the binary (development); nil: built in.
  public var dashboardDirectory: String?
  public var logLevel: Logger.Level = .info
  public var logFormat: LogFormat = .text
  /// A file to write the log to instead of standard error (rotated by size); nil: standard error (journald).
  public var logFile: String?
  public var logFileMaxMiB = 10
  public var logFileKeep = 3
  public var demo = false
  public var demoDevices = 4

  // Realtime stream caps (0: no cap); past a cap the oldest stream of that session or person is closed.
  public var realtimeMaxStreamsPerSession = 8
  public var realtimeMaxStreamsPerPerson = 32

  // Metrics
  /// Bearer token that may read `/metrics` besides admins; nil: admins only.
  public var metricsToken: String? = nil

  public init() {}

  /// The largest request body any route accepts (CONTRACT §1).
  public static let maxBodyBytes = 64 * 1024
}
