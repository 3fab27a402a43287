/// SmartLamp domain types and rules with no I/O: ids, channels, power, roles and permissions, the authorisation
/// component every route asks, rate-limit arithmetic and request-body validation.
///
/// Everything here is a pure value or a pure function over values, so it is tested exhaustively without any
/// server, database or broker. Errors carry no HTTP knowledge; the server maps them.
public enum SmartLampCore {}
