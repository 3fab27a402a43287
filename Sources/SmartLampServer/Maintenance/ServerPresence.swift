import Foundation
import Logging
import ServiceLifecycle
import SmartLampStore

/// This process's presence in the database it serves (``ServerPresenceRepository``): announced before the server
/// accepts requests, renewed every ``renewInterval`` with a lease of ``lease``, withdrawn on a clean stop. It is
/// what `smartlamp restore` looks at to refuse a database a server is running on.
struct ServerPresence: Service {
  /// Three renewals fit in one lease: a slow or briefly unreachable database does not end a live server's lease.
  static let renewInterval: Duration = .seconds(5)
  static let lease: Duration = .seconds(15)

  let repository: ServerPresenceRepository
  let instance: String
  let logger: Logger

  /// Announces this process now (best effort: a database that refuses the write gets the row at the next renewal).
  static func announce(database: any SQLDatabase, logger: Logger) async -> ServerPresence {
    let random = UInt32.random(in: 0...UInt32.max)
    let presence = ServerPresence(
      repository: ServerPresenceRepository(database: database),
      instance: "\(ProcessInfo.processInfo.processIdentifier)-\(String(random, radix: 16))", logger: logger)
    do {
      try await presence.renew()
    } catch {
      logger.warning("could not record this server in the database yet", metadata: ["error": "\(error)"])
    }
    return presence
  }

  func renew() async throws {
    let now = Timestamp.nowMillis()
    try await repository.announce(
      .init(
        instance: instance, host: ServerPresenceRepository.localHost, pid: ProcessInfo.processInfo.processIdentifier,
        renewedAt: now, leaseUntil: now + Self.lease.wholeMilliseconds))
  }

  func run() async throws {
    var failing = false
    while (try? await cancelWhenGracefulShutdown({ try await Task.sleep(for: Self.renewInterval) })) != nil {
      do {
        try await renew()
        failing = false
      } catch {
        // Once per outage, not every renewal.
        if !failing { logger.warning("could not renew this server's presence", metadata: ["error": "\(error)"]) }
        failing = true
      }
    }
    do {
      try await repository.withdraw(instance: instance)
    } catch {
      logger.warning(
        "could not remove this server's presence; it ends with its lease", metadata: ["error": "\(error)"])
    }
  }
}
