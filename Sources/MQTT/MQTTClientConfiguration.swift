/// Everything ``MQTTClient`` needs to reach and talk to a broker.
///
/// ```swift
/// var configuration = try MQTTClientConfiguration(url: "wss://broker.local/mqtt", clientID: "smartlamp-server")
/// configuration.username = "lamp"
/// configuration.password = "secret"
/// configuration.will = MQTTWill(topic: "smartlamp/server/status", payload: "offline", qos: .atLeastOnce, retain: true)
/// ```
public struct MQTTClientConfiguration: Sendable {
  public var host: String
  public var port: Int
  public var transport: MQTTTransport
  public var clientID: String
  public var username: String?
  public var password: String?
  /// Longest silence on our side before a PINGREQ; `.zero` disables keep-alive. Sent in whole seconds.
  public var keepAlive: Duration = .seconds(30)
  /// `false` asks the broker to keep our subscriptions and queued QoS 1/2 messages while we are away.
  public var cleanSession: Bool = true
  public var will: MQTTWill?
  /// PEM file of the certificate authority to trust for `mqtts://` and `wss://`; the system roots when `nil`.
  public var caFile: String?
  /// PEM client certificate and key for brokers that require mutual TLS.
  public var clientCertificateFile: String?
  public var clientKeyFile: String?
  /// Covers TCP connect, TLS and WebSocket handshakes and CONNACK.
  public var connectTimeout: Duration = .seconds(10)
  /// How long to wait for PUBACK, SUBACK, UNSUBACK, and PINGRESP (capped at the keep-alive).
  public var ackTimeout: Duration = .seconds(5)
  /// Reconnect policy after a successful ``MQTTClient/connect()``.
  public var reconnect: MQTTBackoff = MQTTBackoff()
  /// Largest packet accepted from the broker; bigger ones close the connection as a protocol error, except a QoS 0
  /// message, which is skipped and reported to ``onOversizedPublish``.
  public var maxPacketSize: Int = 1 << 20
  /// Told the size of each QoS 0 message skipped for exceeding ``maxPacketSize`` (on the connection's event loop).
  public var onOversizedPublish: (@Sendable (Int) -> Void)?
  /// Messages buffered per subscription for a slow consumer; beyond that the oldest are dropped (and logged).
  public var subscriptionBufferSize: Int = 4096

  /// Parses `mqtt://host[:port]`, `mqtts://…`, `ws://host[:port][/path]` and `wss://…`.
  /// Default ports are 1883, 8883, 80 and 443; the WebSocket path defaults to `/mqtt`.
  /// `user:password@` in the URL fills ``username`` and ``password``.
  public init(url: String, clientID: String) throws(MQTTError) {
    guard let schemeEnd = url.firstRange(of: "://") else { throw .invalidURL("missing scheme in \(url)") }
    let scheme = url[..<schemeEnd.lowerBound].lowercased()
    var rest = url[schemeEnd.upperBound...]
    var path = ""
    if let slash = rest.firstIndex(of: "/") {
      path = String(rest[slash...])
      rest = rest[..<slash]
    }
    if let at = rest.lastIndex(of: "@") {
      let userInfo = rest[..<at]
      rest = rest[rest.index(after: at)...]
      if let colon = userInfo.firstIndex(of: ":") {
        username = String(userInfo[..<colon])
        password = String(userInfo[userInfo.index(after: colon)...])
      } else {
        username = String(userInfo)
      }
    }
    var host: Substring
    var portText: Substring?
    if rest.hasPrefix("[") {
      guard let close = rest.firstIndex(of: "]") else { throw .invalidURL("unterminated IPv6 address in \(url)") }
      host = rest[rest.index(after: rest.startIndex)..<close]
      let afterHost = rest[rest.index(after: close)...]
      if afterHost.hasPrefix(":") {
        portText = afterHost.dropFirst()
      } else if !afterHost.isEmpty {
        throw .invalidURL("unexpected text after host in \(url)")
      }
    } else if let colon = rest.lastIndex(of: ":") {
      host = rest[..<colon]
      portText = rest[rest.index(after: colon)...]
    } else {
      host = rest
    }
    guard !host.isEmpty else { throw .invalidURL("missing host in \(url)") }
    let defaultPort: Int
    switch scheme {
    case "mqtt", "tcp":
      transport = .tcp
      defaultPort = 1883
    case "mqtts", "ssl", "tls":
      transport = .tls
      defaultPort = 8883
    case "ws":
      transport = .webSocket(path: path.isEmpty ? "/mqtt" : path)
      defaultPort = 80
    case "wss":
      transport = .webSocketTLS(path: path.isEmpty ? "/mqtt" : path)
      defaultPort = 443
    default:
      throw .invalidURL("unsupported scheme \(scheme) in \(url)")
    }
    if !transport.isWebSocket && !path.isEmpty && path != "/" {
      throw .invalidURL("a path is only allowed for ws:// and wss:// in \(url)")
    }
    if let portText {
      guard let port = Int(portText), (1...65535).contains(port) else {
        throw .invalidURL("invalid port \(portText) in \(url)")
      }
      self.port = port
    } else {
      self.port = defaultPort
    }
    self.host = String(host)
    self.clientID = clientID
  }
}

/// How the client reaches the broker. A struct around a private enum, so transports can be added later.
public struct MQTTTransport: Sendable, Equatable, CustomStringConvertible {
  enum Kind: Sendable, Equatable {
    case tcp
    case tls
    case webSocket(path: String, tls: Bool)
  }

  let kind: Kind

  /// MQTT over plain TCP (`mqtt://`).
  public static let tcp = MQTTTransport(kind: .tcp)
  /// MQTT over TLS (`mqtts://`).
  public static let tls = MQTTTransport(kind: .tls)
  /// MQTT over WebSocket with the `mqtt` subprotocol (`ws://`).
  public static func webSocket(path: String = "/mqtt") -> MQTTTransport {
    MQTTTransport(kind: .webSocket(path: path, tls: false))
  }
  /// MQTT over WebSocket over TLS (`wss://`).
  public static func webSocketTLS(path: String = "/mqtt") -> MQTTTransport {
    MQTTTransport(kind: .webSocket(path: path, tls: true))
  }

  public var usesTLS: Bool {
    switch kind {
    case .tcp: false
    case .tls: true
    case .webSocket(_, let tls): tls
    }
  }

  public var isWebSocket: Bool {
    if case .webSocket = kind { return true }
    return false
  }

  public var description: String {
    switch kind {
    case .tcp: "mqtt"
    case .tls: "mqtts"
    case .webSocket(let path, let tls): "\(tls ? "wss" : "ws") \(path)"
    }
  }
}

/// Reconnect delays: `initial`, doubling up to `maximum`, each randomised by ±`jitter` (a fraction) so that many
/// clients dropped together do not come back in lockstep.
public struct MQTTBackoff: Sendable, Equatable {
  public var initial: Duration
  public var maximum: Duration
  public var jitter: Double
  public var isEnabled: Bool

  public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30), jitter: Double = 0.2) {
    self.initial = initial
    self.maximum = maximum
    self.jitter = min(max(jitter, 0), 1)
    self.isEnabled = true
  }

  /// Never reconnect automatically: a dropped connection stays down until ``MQTTClient/connect()`` is called again.
  public static var disabled: MQTTBackoff {
    var backoff = MQTTBackoff()
    backoff.isEnabled = false
    return backoff
  }

  /// The delay before reconnect attempt `attempt` (0-based).
  public func delay(attempt: Int) -> Duration {
    let base = initial * (1 << min(attempt, 30))
    let capped = base > maximum ? maximum : base
    guard jitter > 0 else { return capped }
    return capped * Double.random(in: (1 - jitter)...(1 + jitter))
  }
}
