import Hummingbird

/// Registers the routes of lamp control (devices, status, commands, realtime stream, discovery).
func addLampRoutes(to router: Router<AppRequestContext>, _ services: AppServices) {}
