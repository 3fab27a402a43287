import Foundation
import Logging
import ServiceLifecycle
import SmartLampCore
import SmartLampStore

/// Everything the accounts and access part of the server shares: the access-token keys, password hashing, the
/// login limiter, cookie settings and the store. Made once in `buildApplication`.
public struct AccountsServices: Sendable {
  let store: Store
  let tokens: AccessTokens
  let passwords: PasswordHasher
  let limiter: LoginLimiter
  let cookies: SessionCookies
  let allowedOrigins: Set<String>
  let refreshTTLMs: Int64
  let logger: Logger
  /// Fired after committed changes that end sessions or change visibility, so open streams follow at once.
  let accessChanges: AccessChanges
  let sessions: SessionCache<UserRecord>
  /// A bcrypt hash of a random password at the configured cost: unknown emails are verified against it so the
  /// answer takes as long as for a real account (timing does not reveal which emails exist).
  let dummyHash: String

  public init(
    configuration: Configuration, database: any SQLDatabase, logger: Logger,
    accessChanges: AccessChanges = AccessChanges()
  ) async throws {
    self.accessChanges = accessChanges
    sessions = SessionCache(ttl: .milliseconds(configuration.sessionCacheMs), changes: accessChanges)
    store = Store(database: database)
    let secret = try JWTSecret.resolve(
      configured: configuration.jwtSecret, dataDirectory: configuration.dataDirectory)
    if secret.utf8.count < 32 {
      logger.warning("jwt secret is shorter than 32 bytes; use a longer random secret")
    }
    tokens = AccessTokens(secret: secret, ttlSeconds: max(1, configuration.accessTokenTTLSec))
    passwords = PasswordHasher(cost: configuration.bcryptCost)
    limiter = LoginLimiter(database: database, configuration: configuration)
    cookies = SessionCookies(configuration: configuration)
    allowedOrigins = Set(configuration.allowedOrigins.map { $0.lowercased() })
    refreshTTLMs = Int64(max(1, configuration.refreshTokenTTLSec)) * 1000
    self.logger = logger
    dummyHash = try await passwords.hash(SecretTokens.randomHex(bytes: 16))
  }

  /// Users and their assignments (the same rules as `smartlamp user`).
  var users: UserAdministration { UserAdministration(store: store, passwords: passwords, accessChanges: accessChanges) }

  /// API keys for integrations.
  var apiKeys: APIKeyAdministration { APIKeyAdministration(database: store.database, accessChanges: accessChanges) }

  /// Long-running jobs of this part, run under the application's ServiceGroup.
  var backgroundServices: [any Service] { [AccountsPurgeService(store: store, logger: logger)] }
}

/// Deletes expired limiter rows and long-dead sessions every few minutes, so neither table grows without bound.
struct AccountsPurgeService: Service {
  let store: Store
  let logger: Logger
  var interval: Duration = .seconds(300)
  /// Sessions are kept this long after their refresh expiry (so late reuse is still recognised as reuse).
  static let sessionRetentionMs: Int64 = 7 * 24 * 3600 * 1000

  func run() async throws {
    while !Task.isCancelled && !Task.isShuttingDownGracefully {
      await purgeOnce()
      let interval = self.interval
      do {
        try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
      } catch {
        return
      }
    }
  }

  func purgeOnce() async {
    let now = Timestamp.nowMillis()
    do {
      let limits = try await store.rateLimits.purgeExpired(now: now)
      let sessions = try await store.sessions.purgeExpired(before: now - Self.sessionRetentionMs)
      if limits + sessions > 0 {
        logger.debug("purged expired rows", metadata: ["rateLimits": "\(limits)", "sessions": "\(sessions)"])
      }
    } catch {
      logger.warning("purge of expired rows failed", metadata: ["error": "\(error)"])
    }
  }
}
