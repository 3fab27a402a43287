import Hummingbird

/// Registers the routes of lamp control (devices, status, commands, realtime stream, discovery, schedules).
func addLampRoutes(to router: Router<AppRequestContext>, _ services: AppServices) {
  CommandRoutes(lamps: services.lamps).addRoutes(to: router)
  RealtimeRoutes(lamps: services.lamps).addRoutes(to: router)
  DiscoveryRoutes(lamps: services.lamps).addRoutes(to: router)
  ScheduleRoutes(lamps: services.lamps).addRoutes(to: router)
}
