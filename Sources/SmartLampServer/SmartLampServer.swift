/// The Hummingbird application: `buildApplication(configuration:)`, routes per resource, middleware (request id,
/// envelope and errors, authentication, CSRF/CORS, rate limits, idempotency, security headers), the services of
/// lamp control, the OpenAPI document and the static dashboard.
///
/// Route handlers are thin (decode → authorise → call a service → encode); services speak domain types only;
/// SQL lives in `SmartLampStore`. Errors become HTTP answers in exactly one place, ``ErrorMiddleware``.
public enum SmartLampServerModule {}
