import HTTPTypes
import Hummingbird

/// Decides the client's IP: the socket peer, unless that peer is a trusted proxy, in which case the right-most
/// `X-Forwarded-For` entry that is not itself a trusted proxy (UPSTREAM §20.7: never trust the header blindly).
struct ClientAddressMiddleware: RouterMiddleware {
  typealias Context = AppRequestContext
  let trustedProxies: [IPMatcher]
  /// Whether the listener itself speaks TLS (`http.tls-cert-file`): then every request is secure.
  let directTLS: Bool

  init(trustedProxies: [String], directTLS: Bool = false) {
    self.trustedProxies = trustedProxies.compactMap(IPMatcher.init)
    self.directTLS = directTLS
  }

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    var context = context
    let peer = context.peerAddress ?? "unknown"
    context.clientIP = peer
    context.isSecure = directTLS
    if isTrusted(peer) {
      let hops = request.headers[values: .xForwardedFor]
        .flatMap { $0.split(separator: ",") }
        .map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { IPMatcher.bytes(of: $0) != nil }
      if let client = hops.reversed().first(where: { !isTrusted($0) }) ?? hops.first {
        context.clientIP = client
      }
      context.isSecure = directTLS || request.headers[.xForwardedProto]?.lowercased() == "https"
    }
    context.logger[metadataKey: "client_ip"] = .string(context.clientIP)
    return try await next(request, context)
  }

  private func isTrusted(_ address: String) -> Bool {
    trustedProxies.contains { $0.contains(address) }
  }
}
