import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import SmartLampStore

/// Everything routes and services share, made once at start. Dependencies are values passed in, never globals,
/// so tests build the same application on their own database and broker.
public struct AppServices: Sendable {
  public let configuration: Configuration
  public let database: any SQLDatabase
  public let logger: Logger
  public let accounts: AccountsServices
  public let lamps: LampServices
  let routes: RouteTable
  let metrics: ServerMetrics

  public init(
    configuration: Configuration, database: any SQLDatabase, logger: Logger, accounts: AccountsServices,
    lamps: LampServices
  ) {
    self.init(
      configuration: configuration, database: database, logger: logger, accounts: accounts, lamps: lamps,
      connections: ConnectionLimiter(
        limit: configuration.maxConnectionsPerAddress, trustedProxies: configuration.trustedProxies))
  }

  /// As above, with the per-address limiter the HTTP server admits connections through (its refusals are metrics).
  init(
    configuration: Configuration, database: any SQLDatabase, logger: Logger, accounts: AccountsServices,
    lamps: LampServices, connections: ConnectionLimiter
  ) {
    self.configuration = configuration
    self.database = database
    self.logger = logger
    self.accounts = accounts
    self.lamps = lamps
    self.routes = RouteTable()
    self.metrics = ServerMetrics(connections: connections)
  }
}

/// What the server talks to besides its configuration. The standard set connects to the configured broker.
public struct ServerDependencies: Sendable {
  /// The broker link; nil connects to `configuration.mqttURL`.
  var broker: (any BrokerLink)?
  /// What acknowledgement deadlines and the scheduler's slots are measured on.
  public var clock: ServerClock = .system

  public static let standard = ServerDependencies()

  /// For tests that need no broker: commands answer `503 BROKER_UNAVAILABLE`, readiness names the broker, and
  /// nothing dials the default `127.0.0.1:1883`.
  public static func withoutBroker(clock: ServerClock = .system) -> ServerDependencies {
    ServerDependencies(broker: NoBroker(), clock: clock)
  }
}

/// Builds the whole server: opens and migrates the database, creates the first admin from the environment when
/// none exists, and wires middleware, routes and long-running services.
public func buildApplication(
  configuration: Configuration,
  dependencies: ServerDependencies = .standard,
  logger: Logger = Logger(label: "smartlamp"),
  onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
  let connections = ConnectionLimiter(
    limit: configuration.maxConnectionsPerAddress, trustedProxies: configuration.trustedProxies)
  // TLS files are checked first: a bad certificate stops the start before anything is opened.
  let serving = try await HTTPServing.make(configuration: configuration, connections: connections, logger: logger)
  let database = try await StoreBootstrap.open(configuration: configuration, logger: logger)
  try await FirstAdmin.ensure(configuration: configuration, database: database, logger: logger)
  try await FirstRunSetup.announce(database: database, logger: logger)
  // Before any request: `smartlamp restore` must see this server from the moment it could change the database.
  let presence = await ServerPresence.announce(database: database, logger: logger)
  // One nudge shared by both parts: account changes must reach the lamp side's open streams.
  let accessChanges = AccessChanges()
  let accounts = try await AccountsServices(
    configuration: configuration, database: database, logger: logger, accessChanges: accessChanges)
  let lamps = try await LampServices(
    configuration: configuration, database: database, logger: logger, accessChanges: accessChanges,
    dependencies: dependencies)
  let services = AppServices(
    configuration: configuration, database: database, logger: logger, accounts: accounts, lamps: lamps,
    connections: connections)
  let router = buildRouter(services)
  var app = Application(
    router: router,
    server: serving.server,
    configuration: ApplicationConfiguration(
      address: .hostname(configuration.httpHost, port: configuration.httpPort),
      serverName: "SmartLamp"
    ),
    onServerRunning: onServerRunning,
    logger: logger
  )
  // Shutdown runs in reverse: HTTP first, then lamp services, account jobs, this server's presence, and the
  // database last.
  app.addServices(DatabaseCloser(database: database))
  app.addServices(presence)
  app.addServices(accounts.backgroundServices)
  app.addServices(RetentionService.services(configuration: configuration, database: database, logger: logger))
  app.addServices(lamps.backgroundServices)
  app.addServices(serving.services)
  return app
}

/// The router with every middleware and controller.
func buildRouter(_ services: AppServices) -> Router<AppRequestContext> {
  let router = Router(context: AppRequestContext.self, options: [.autoGenerateHeadEndpoints])
  addMiddleware(to: router, services)
  let readiness: [any ReadinessCheck] =
    [
      ClosureReadinessCheck(name: "database") {
        do {
          try await Store(database: services.database).ping()
          return nil
        } catch {
          return "unreachable"
        }
      }
    ] + services.lamps.readinessChecks
  let root = router.group()
  HealthRoutes(checks: readiness).add(to: root)
  MetricsRoutes(services: services).add(to: root)
  addAPIRoutes(to: router, services)
  services.routes.set(router.routes.map { (path: $0.path.description, method: $0.method.rawValue) })
  return router
}

/// Every `/api/v1` route, registered one way: paths relative to `/api/v1`; a route that needs a caller goes on the
/// authenticated group, whose context cannot exist without one. Public routes are few: login, refresh, logout and
/// the OpenAPI document.
func addAPIRoutes(to router: Router<AppRequestContext>, _ services: AppServices) {
  let api = router.group("/api/v1")
  AuthRoutes(accounts: services.accounts).add(to: api)
  OpenAPIRoutes().add(to: api)

  let authenticated = api.group(context: AuthenticatedContext.self)
  BootstrapRoutes(lamps: services.lamps).add(to: authenticated)
  ProfileRoutes(accounts: services.accounts).add(to: authenticated)
  UsersRoutes(accounts: services.accounts).add(to: authenticated)
  AssignmentsRoutes(accounts: services.accounts).add(to: authenticated)
  APIClientsRoutes(accounts: services.accounts).add(to: authenticated)
  CapabilitiesRoutes(routes: services.routes).add(to: authenticated)
  DeviceRoutes(lamps: services.lamps).add(to: authenticated)
  DiscoveryRoutes(lamps: services.lamps).add(to: authenticated)
  CommandRoutes(lamps: services.lamps).add(to: authenticated)
  RealtimeRoutes(lamps: services.lamps).add(to: authenticated)
  ScheduleRoutes(lamps: services.lamps).add(to: authenticated)
  SetupRoutes(services: services).add(to: api)
  SessionRoutes(services: services).add(to: authenticated)
  BatchCommandRoutes(lamps: services.lamps).add(to: authenticated)
  SchedulePreviewRoutes().add(to: authenticated)
  HistoryRoutes(lamps: services.lamps).add(to: authenticated)
  AuditRoutes(lamps: services.lamps).add(to: authenticated)
  SystemRoutes(services: services).add(to: authenticated)
}

/// Middleware order (outermost first): request id, access log and metrics, security headers, CORS, errors, dashboard
/// files, client address. Routes added after this call get all of them.
func addMiddleware(to router: Router<AppRequestContext>, _ services: AppServices) {
  let config = services.configuration
  router.add(middleware: RequestIDMiddleware())
  var accessLogger = services.logger
  accessLogger[metadataKey: "component"] = "http"
  router.add(middleware: AccessLogMiddleware(logger: accessLogger, metrics: services.metrics.http))
  router.add(middleware: SecurityHeadersMiddleware(hstsMaxAgeSec: config.servesTLS ? config.hstsMaxAgeSec : 0))
  router.add(middleware: CORSMiddleware(allowedOrigins: Set(config.allowedOrigins)))
  router.add(middleware: ErrorMiddleware(routes: services.routes))
  router.add(
    middleware: DashboardMiddleware(files: config.dashboardDirectory.map(DashboardFiles.directory) ?? .embedded))
  router.add(middleware: ClientAddressMiddleware(trustedProxies: config.trustedProxies, directTLS: config.servesTLS))
  router.add(middleware: AuthenticationMiddleware(services: services))
}

/// Closes the database after everything else has stopped (services shut down in reverse order).
struct DatabaseCloser: Service {
  let database: any SQLDatabase
  func run() async throws {
    try? await gracefulShutdown()
    try await database.close()
  }
}
