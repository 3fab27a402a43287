import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A private Mosquitto for one test: TCP, WebSocket, TLS, WSS and mutual-TLS listeners on free 127.0.0.1 ports,
/// password authentication, no persistence. Always stop it: prefer ``with(username:password:deniedSubscriptions:_:)``.
///
/// With `deniedSubscriptions`, access control goes through Mosquitto's dynamic security plugin, which refuses
/// those filters at SUBACK (0x80); the plain `acl_file` of Mosquitto 2.0 grants every SUBSCRIBE and only filters
/// delivery, so it cannot produce a refusal. ``allowSubscriptions(_:)`` lifts a denial while the broker runs.
///
/// ```swift
/// try await MosquittoBroker.with { broker in
///   var configuration = try MQTTClientConfiguration(url: broker.url(.tls), clientID: "t")
///   configuration.caFile = broker.caFile
/// }
/// ```
public final class MosquittoBroker: Sendable {
  public enum Transport: String, Sendable, CaseIterable, CustomStringConvertible {
    case tcp, tls, webSocket, webSocketTLS
    public var description: String { rawValue }
  }

  public let tcpPort: Int
  public let wsPort: Int
  public let tlsPort: Int
  public let wssPort: Int
  /// TLS listener that requires a client certificate signed by ``caFile``.
  public let mutualTLSPort: Int
  public let caFile: String
  public let certificates: TestCertificates
  public let username: String?
  public let password: String?
  /// Filters the broker refuses at SUBACK until ``allowSubscriptions(_:)`` lifts them.
  public let deniedSubscriptions: [String]
  private let directory: TemporaryDirectory
  private let process: Locked<ChildProcess?>

  public static let executable = "/usr/sbin/mosquitto"
  static let dynamicSecurityPlugin = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so"
  static let aclRole = "smartlamp-test"

  /// Starts a broker and waits until every listener accepts connections.
  public static func start(
    username: String? = "lamp", password: String? = "lamp-secret", deniedSubscriptions: [String] = []
  ) async throws -> MosquittoBroker {
    // Free ports are picked before the broker binds them, so a parallel test can take one first: retry.
    for attempt in 1... {
      let broker = try await MosquittoBroker(
        username: username, password: password, deniedSubscriptions: deniedSubscriptions)
      do {
        try await broker.launch()
        return broker
      } catch let error as HarnessError where attempt < 5 && error.description.contains("exited during startup") {
        continue
      }
    }
    fatalError("unreachable")
  }

  /// Runs `body` with a fresh broker and stops the broker afterwards, also when `body` throws.
  public static func with<T>(
    username: String? = "lamp", password: String? = "lamp-secret", deniedSubscriptions: [String] = [],
    _ body: (MosquittoBroker) async throws -> T
  ) async throws -> T {
    let broker = try await start(username: username, password: password, deniedSubscriptions: deniedSubscriptions)
    do {
      let result = try await body(broker)
      await broker.stop()
      return result
    } catch {
      await broker.stop()
      throw error
    }
  }

  private init(username: String?, password: String?, deniedSubscriptions: [String]) async throws {
    self.username = username
    self.password = password
    self.deniedSubscriptions = deniedSubscriptions
    certificates = try await TestCertificates.shared()
    caFile = certificates.caFile
    directory = TemporaryDirectory(prefix: "smartlamp-mosquitto")
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
    var ports = Set<Int>()
    while ports.count < 5 { ports.insert(freePort()) }
    let list = Array(ports)
    (tcpPort, wsPort, tlsPort, wssPort, mutualTLSPort) = (list[0], list[1], list[2], list[3], list[4])
    process = Locked(nil)
    var config = """
      user root
      per_listener_settings false
      persistence false
      log_dest stderr
      log_type error
      log_type warning
      log_type notice
      log_type information
      connection_messages true
      set_tcp_nodelay true

      """
    if !deniedSubscriptions.isEmpty {
      let file = try await Self.writeDynamicSecurity(
        in: directory, username: username, password: password, denied: deniedSubscriptions)
      config +=
        "allow_anonymous \(username == nil)\nplugin \(Self.dynamicSecurityPlugin)\nplugin_opt_config_file \(file)\n"
    } else if let username, let password {
      let passwordFile = directory.file("passwd")
      try await runTool("/usr/bin/mosquitto_passwd", ["-c", "-b", passwordFile, username, password])
      try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: passwordFile)
      config += "allow_anonymous false\npassword_file \(passwordFile)\n"
    } else {
      config += "allow_anonymous true\n"
    }
    let tls = """
      cafile \(certificates.caFile)
      certfile \(certificates.serverCertificateFile)
      keyfile \(certificates.serverKeyFile)
      """
    config += """

      listener \(tcpPort) 127.0.0.1
      protocol mqtt

      listener \(wsPort) 127.0.0.1
      protocol websockets
      socket_domain ipv4

      listener \(tlsPort) 127.0.0.1
      protocol mqtt
      \(tls)

      listener \(wssPort) 127.0.0.1
      protocol websockets
      socket_domain ipv4
      \(tls)

      listener \(mutualTLSPort) 127.0.0.1
      protocol mqtt
      \(tls)
      require_certificate true

      """
    try config.write(toFile: directory.file("mosquitto.conf"), atomically: true, encoding: .utf8)
  }

  deinit {
    process.withLock { $0?.signal(SIGKILL) }
  }

  /// The broker URL for `transport`, e.g. `mqtt://127.0.0.1:41234` or `wss://127.0.0.1:41237/mqtt`.
  public func url(_ transport: Transport, host: String = "127.0.0.1") -> String {
    switch transport {
    case .tcp: "mqtt://\(host):\(tcpPort)"
    case .tls: "mqtts://\(host):\(tlsPort)"
    case .webSocket: "ws://\(host):\(wsPort)/mqtt"
    case .webSocketTLS: "wss://\(host):\(wssPort)/mqtt"
    }
  }

  /// Lifts the SUBACK denial of `filters` at runtime, as an operator fixing the ACL would (no restart, clients
  /// stay connected).
  public func allowSubscriptions(_ filters: [String]) async throws {
    var connect = ["-h", "127.0.0.1", "-p", String(tcpPort)]
    if let username, let password { connect += ["-u", username, "-P", password] }
    for filter in filters {
      try await runTool(
        "/usr/bin/mosquitto_ctrl", connect + ["dynsec", "removeRoleACL", Self.aclRole, "subscribePattern", filter])
    }
  }

  /// A dynamic-security file: everything allowed by default, `denied` refused at SUBACK, for the given client (its
  /// password hash made by `mosquitto_ctrl dynsec init`) or for anonymous clients. The role may also use the
  /// plugin's control topic, so ``allowSubscriptions(_:)`` can change it.
  private static func writeDynamicSecurity(
    in directory: TemporaryDirectory, username: String?, password: String?, denied: [String]
  ) async throws -> String {
    guard FileManager.default.fileExists(atPath: dynamicSecurityPlugin) else {
      throw HarnessError("the Mosquitto dynamic security plugin is missing: \(dynamicSecurityPlugin)")
    }
    let file = directory.file("dynamic-security.json")
    var document: [String: Any] = ["clients": [[String: Any]]()]
    if let username, let password {
      try await runTool("/usr/bin/mosquitto_ctrl", ["dynsec", "init", file, username, password])
      let data = try Data(contentsOf: URL(fileURLWithPath: file))
      document = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
      try FileManager.default.removeItem(atPath: file)
    }
    let role = [["rolename": aclRole]]
    document["clients"] = (document["clients"] as? [[String: Any]] ?? []).map { client in
      var client = client
      client["roles"] = role
      return client
    }
    let control = ["publishClientSend", "publishClientReceive", "subscribePattern"].map {
      ["acltype": $0, "topic": "$CONTROL/dynamic-security/#", "allow": true] as [String: Any]
    }
    let denials = denied.map {
      ["acltype": "subscribePattern", "topic": $0, "priority": 10, "allow": false] as [String: Any]
    }
    document["roles"] = [["rolename": aclRole, "acls": control + denials]]
    document["groups"] = [["groupname": "anonymous", "roles": role]]
    document["anonymousGroup"] = "anonymous"
    document["defaultACLAccess"] = [
      "publishClientSend": true, "publishClientReceive": true, "subscribe": true, "unsubscribe": true,
    ]
    try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: file))
    try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
    return file
  }

  /// Everything the broker logged so far (for failure messages).
  public var log: String { (try? String(contentsOfFile: directory.file("mosquitto.log"), encoding: .utf8)) ?? "" }

  /// Graceful stop: SIGTERM and wait for exit.
  public func stop() async {
    let child = process.withLock { process -> ChildProcess? in
      defer { process = nil }
      return process
    }
    await child?.terminate()
  }

  /// Abrupt stop: SIGKILL (no Will messages, connections reset), and wait for exit.
  public func kill() async {
    let child = process.withLock { process -> ChildProcess? in
      defer { process = nil }
      return process
    }
    child?.signal(SIGKILL)
    await child?.waitForExit()
  }

  /// Starts the broker again with the same ports and configuration (after ``stop()`` or ``kill()``).
  public func restart() async throws {
    await stop()
    // The old sockets may linger for a moment, and a parallel test's outgoing connection can briefly hold one of
    // our ports: retry the same ports until a deadline instead of failing on the first EADDRINUSE.
    let deadline = ContinuousClock.now.advanced(by: .seconds(20))
    while true {
      do {
        try await launch()
        return
      } catch {
        if ContinuousClock.now >= deadline { throw error }
        try await Task.sleep(for: .milliseconds(200))
      }
    }
  }

  private func launch() async throws {
    guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
      throw HarnessError("mosquitto is missing: run scripts/install-deps.sh --test")
    }
    let child = try ChildProcess(
      executable: Self.executable, arguments: ["-c", directory.file("mosquitto.conf")],
      stdoutPath: directory.file("mosquitto.log"), stderrPath: directory.file("mosquitto.log"))
    process.withLock { $0 = child }
    let ports = [tcpPort, wsPort, tlsPort, wssPort, mutualTLSPort]
    do {
      try await poll("mosquitto listens on \(ports)", timeout: .seconds(10), interval: .milliseconds(10)) {
        // A broker that fails to load a TLS file exits after opening its first port: check it still runs.
        guard child.isRunning else { throw HarnessError("mosquitto exited during startup:\n\(log)") }
        return ports.allSatisfy(portAcceptsConnections)
      }
    } catch {
      await stop()
      throw HarnessError("mosquitto did not start: \(error)\n\(log)")
    }
  }
}

/// A tiny lock-protected box for the harness's mutable state.
public final class Locked<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var value: Value
  public init(_ value: Value) { self.value = value }
  public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
    lock.lock()
    defer { lock.unlock() }
    return try body(&value)
  }
}
