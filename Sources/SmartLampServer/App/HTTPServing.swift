import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization
import UnixSignals

/// How the main listener speaks: plain HTTP/1.1, or TLS with HTTP/2 and HTTP/1.1 chosen by ALPN when
/// `http.tls-cert-file`/`http.tls-key-file` are set. With TLS come the services that keep it going: the certificate
/// reload on SIGHUP and, when `http.redirect-port` is set, a plain listener that only redirects to HTTPS.
struct HTTPServing {
  let server: HTTPServerBuilder
  let services: [any Service]
  let servesTLS: Bool

  /// Every connection (and, over HTTP/2, every stream) passes the per-address cap of `connections` first.
  static func make(
    configuration: Configuration, connections: ConnectionLimiter, logger: Logger
  ) async throws -> HTTPServing {
    let perConnection = HTTP1Channel.Configuration(
      additionalChannelHandlers: [ConnectionLimitHandler(limiter: connections)])
    guard let certFile = configuration.tlsCertificateFile, let keyFile = configuration.tlsKeyFile else {
      return HTTPServing(server: .http1(configuration: perConnection), services: [], servesTLS: false)
    }
    let certificate: ReloadableCertificate
    do {
      certificate = try ReloadableCertificate(certificateFile: certFile, keyFile: keyFile)
    } catch {
      throw StartupError("http.tls-cert-file/http.tls-key-file: \(error)")
    }
    // Trapped now, before the listener opens, so a SIGHUP sent as soon as the port answers reloads, never kills.
    let hangups = await UnixSignalsSequence(trapping: .sighup)
    var services: [any Service] = [
      CertificateReloadService(certificate: certificate, hangups: hangups, logger: logger)
    ]
    if let redirectPort = configuration.httpRedirectPort {
      services.append(
        HTTPSRedirect.application(
          host: configuration.httpHost, port: redirectPort, httpsPort: configuration.httpPort, logger: logger))
    }
    return HTTPServing(
      server: try .http2Upgrade(
        tlsConfiguration: certificate.tlsConfiguration, configuration: .init(streamConfiguration: perConnection)),
      services: services, servesTLS: true)
  }
}

/// The served certificate and key, read from PEM files and swapped for every new handshake once reloaded; open
/// connections (an SSE stream among them) keep the certificate they started with.
final class ReloadableCertificate: Sendable {
  let certificateFile: String
  let keyFile: String
  private let current: Mutex<NIOSSLContextConfigurationOverride>
  private let initial: (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)

  init(certificateFile: String, keyFile: String) throws {
    self.certificateFile = certificateFile
    self.keyFile = keyFile
    initial = try Self.load(certificateFile: certificateFile, keyFile: keyFile)
    current = Mutex(Self.override(initial))
  }

  /// A server configuration whose certificate is looked up at each client hello.
  var tlsConfiguration: TLSConfiguration {
    var tls = TLSConfiguration.makeServerConfiguration(
      certificateChain: initial.chain.map { .certificate($0) }, privateKey: .privateKey(initial.key))
    tls.minimumTLSVersion = .tlsv12
    tls.sslContextCallback = { [self] _, promise in promise.succeed(current.withLock { $0 }) }
    return tls
  }

  /// Reads both files again; on any problem (unreadable, not PEM, key not matching the certificate) the old pair
  /// stays in use and the error says why.
  func reload() throws {
    let pair = try Self.load(certificateFile: certificateFile, keyFile: keyFile)
    current.withLock { $0 = Self.override(pair) }
  }

  private static func load(certificateFile: String, keyFile: String) throws -> (
    chain: [NIOSSLCertificate], key: NIOSSLPrivateKey
  ) {
    let chain = try NIOSSLCertificate.fromPEMFile(certificateFile)
    guard !chain.isEmpty else { throw TLSFileError("\(certificateFile) holds no PEM certificate") }
    let key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
    // Building a context checks that the key belongs to the certificate.
    do {
      _ = try NIOSSLContext(
        configuration: .makeServerConfiguration(
          certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)))
    } catch {
      throw TLSFileError("the key in \(keyFile) does not match the certificate in \(certificateFile)")
    }
    return (chain, key)
  }

  private static func override(_ pair: (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey))
    -> NIOSSLContextConfigurationOverride
  {
    var override = NIOSSLContextConfigurationOverride()
    override.certificateChain = pair.chain.map { .certificate($0) }
    override.privateKey = .privateKey(pair.key)
    return override
  }
}

struct TLSFileError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// Reloads the certificate on every SIGHUP (what `systemctl reload smartlamp` and certificate renewal hooks send).
struct CertificateReloadService: Service {
  let certificate: ReloadableCertificate
  let hangups: UnixSignalsSequence
  let logger: Logger

  func run() async throws {
    for await _ in hangups.cancelOnGracefulShutdown() {
      do {
        try certificate.reload()
        logger.notice("reloaded the TLS certificate", metadata: ["file": .string(certificate.certificateFile)])
      } catch {
        logger.error("TLS certificate not reloaded, the old one stays in use: \(error)")
      }
    }
  }
}

/// The optional plain-HTTP listener: every request is answered with a permanent redirect to the same path on HTTPS,
/// so a bookmarked `http://lampu.local` still finds the dashboard. It serves nothing else.
enum HTTPSRedirect {
  static func application(host: String, port: Int, httpsPort: Int, logger: Logger) -> some Service {
    let router = Router()
    router.add(middleware: RedirectEverything(httpsPort: httpsPort))
    var named = logger
    named[metadataKey: "component"] = "https-redirect"
    let redirectLogger = named
    return Application(
      router: router,
      configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "SmartLamp"),
      onServerRunning: { channel in
        redirectLogger.notice(
          "redirecting to HTTPS", metadata: ["port": .string("\(channel.localAddress?.port ?? port)")])
      },
      logger: redirectLogger)
  }

  /// `https://<Host without port>[:httpsPort]<path>`; nil when the Host header is missing or not a plain host name
  /// or address (nothing is echoed back that could inject a header).
  static func location(host: String?, path: String, httpsPort: Int) -> String? {
    guard var name = host?.trimmingCharacters(in: .whitespaces), !name.isEmpty else { return nil }
    if name.hasPrefix("[") {
      guard let end = name.firstIndex(of: "]") else { return nil }
      name = String(name[...end])
    } else if let colon = name.lastIndex(of: ":") {
      name = String(name[..<colon])
    }
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-[]:")
    guard !name.isEmpty, name.allSatisfy(allowed.contains) else { return nil }
    let target = path.hasPrefix("/") && !path.hasPrefix("//") ? path : "/"
    return "https://\(name)\(httpsPort == 443 ? "" : ":\(httpsPort)")\(target)"
  }

  struct RedirectEverything: RouterMiddleware {
    typealias Context = BasicRequestContext
    let httpsPort: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
      async throws -> Response
    {
      guard
        let location = HTTPSRedirect.location(
          host: request.head.authority, path: request.uri.description, httpsPort: httpsPort)
      else {
        return Response(status: .badRequest, body: .init(byteBuffer: .init(string: "Use HTTPS.\n")))
      }
      return Response(status: .permanentRedirect, headers: [.location: location, .contentLength: "0"])
    }
  }
}
