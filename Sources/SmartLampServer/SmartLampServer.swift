/// The Hummingbird application: routes, middleware, services, OpenAPI document and static dashboard.
import Hummingbird
import HummingbirdBcrypt
import JWTKit
import ServiceLifecycle
public enum SmartLampServerInfo {}
