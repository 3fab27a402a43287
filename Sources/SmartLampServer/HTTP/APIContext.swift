import Hummingbird

/// What every route needs from its context, whichever it is: the request id for the envelope, the client's address
/// for limits and logs, and whether the request came over TLS (cookies).
public protocol APIContext: RequestContext {
  var requestID: String { get }
  var clientIP: String { get }
  var isSecure: Bool { get }
}

extension AppRequestContext: APIContext {}
