import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A private amqtt broker (a second, independent MQTT 3.1.1 implementation, in Python) with TCP, WebSocket, TLS and
/// WSS listeners on free 127.0.0.1 ports and file-based password authentication. Prefer ``with(username:password:_:)``.
public final class AmqttBroker: Sendable {
  public let tcpPort: Int
  public let wsPort: Int
  public let tlsPort: Int
  public let wssPort: Int
  public let caFile: String
  public let username: String?
  public let password: String?
  private let directory: TemporaryDirectory
  private let process: Locked<ChildProcess?>

  public static var executable: String { repositoryRoot + "/.venv/bin/amqtt" }

  public static func start(username: String? = "lamp", password: String? = "lamp-secret") async throws -> AmqttBroker {
    // Free ports are picked before the broker binds them, so a parallel test can take one first: retry.
    for attempt in 1... {
      let broker = try await AmqttBroker(username: username, password: password)
      do {
        try await broker.launch()
        return broker
      } catch let error as HarnessError where attempt < 3 && error.isPortRace {
        continue
      }
    }
    fatalError("unreachable")
  }

  /// Runs `body` with a fresh broker and stops it afterwards, also when `body` throws.
  public static func with<T>(
    username: String? = "lamp", password: String? = "lamp-secret", _ body: (AmqttBroker) async throws -> T
  ) async throws -> T {
    let broker = try await start(username: username, password: password)
    do {
      let result = try await body(broker)
      await broker.stop()
      return result
    } catch {
      await broker.stop()
      throw error
    }
  }

  private init(username: String?, password: String?) async throws {
    try PythonPeer.checkVenv()
    guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
      throw HarnessError("amqtt is missing from the venv: run scripts/install-deps.sh --test")
    }
    self.username = username
    self.password = password
    let certificates = try await TestCertificates.shared()
    caFile = certificates.caFile
    directory = TemporaryDirectory(prefix: "smartlamp-amqtt")
    var ports = Set<Int>()
    while ports.count < 4 { ports.insert(freePort()) }
    let list = Array(ports)
    (tcpPort, wsPort, tlsPort, wssPort) = (list[0], list[1], list[2], list[3])
    process = Locked(nil)
    let authentication: String
    if let username, let password {
      let hash = try await PythonPeer.run(
        "import sys\nfrom pwdlib.hashers.argon2 import Argon2Hasher\nprint(Argon2Hasher().hash(sys.argv[1]))",
        arguments: [password])
      guard hash.exitCode == 0 else { throw HarnessError("argon2 hashing failed: \(hash.errors)") }
      let passwordFile = directory.file("passwd")
      try "\(username):\(hash.output.trimmingCharacters(in: .whitespacesAndNewlines))\n"
        .write(toFile: passwordFile, atomically: true, encoding: .utf8)
      authentication = "  amqtt.plugins.authentication.FileAuthPlugin:\n    password_file: \(passwordFile)\n"
    } else {
      authentication = "  amqtt.plugins.authentication.AnonymousAuthPlugin:\n    allow_anonymous: true\n"
    }
    let tls = """
          ssl: true
          certfile: \(certificates.serverCertificateFile)
          keyfile: \(certificates.serverKeyFile)
      """
    let config = """
      listeners:
        default:
          type: tcp
          bind: 127.0.0.1:\(tcpPort)
        ws:
          type: ws
          bind: 127.0.0.1:\(wsPort)
        tls:
          type: tcp
          bind: 127.0.0.1:\(tlsPort)
      \(tls)
        wss:
          type: ws
          bind: 127.0.0.1:\(wssPort)
      \(tls)
      plugins:
      \(authentication)
      """
    try config.write(toFile: directory.file("amqtt.yaml"), atomically: true, encoding: .utf8)
  }

  deinit {
    process.withLock { $0?.signal(SIGKILL) }
  }

  public func url(_ transport: MosquittoBroker.Transport, host: String = "127.0.0.1") -> String {
    switch transport {
    case .tcp: "mqtt://\(host):\(tcpPort)"
    case .tls: "mqtts://\(host):\(tlsPort)"
    case .webSocket: "ws://\(host):\(wsPort)/mqtt"
    case .webSocketTLS: "wss://\(host):\(wssPort)/mqtt"
    }
  }

  public var log: String { (try? String(contentsOfFile: directory.file("amqtt.log"), encoding: .utf8)) ?? "" }

  public func stop() async {
    let child = process.withLock { process -> ChildProcess? in
      defer { process = nil }
      return process
    }
    await child?.terminate()
  }

  private func launch() async throws {
    let child = try ChildProcess(
      executable: Self.executable, arguments: ["-c", directory.file("amqtt.yaml")],
      stdoutPath: directory.file("amqtt.log"), stderrPath: directory.file("amqtt.log"))
    process.withLock { $0 = child }
    let ports = [tcpPort, wsPort, tlsPort, wssPort]
    do {
      try await poll("amqtt listens on \(ports)", timeout: .seconds(60), interval: .milliseconds(20)) {
        guard child.isRunning else { throw HarnessError("amqtt exited during startup") }
        // amqtt keeps running when one listener fails to bind; the log says so.
        if log.localizedCaseInsensitiveContains("address already in use") {
          throw HarnessError("amqtt exited during startup: a port was taken")
        }
        return ports.allSatisfy(portAcceptsConnections)
      }
    } catch {
      await stop()
      throw HarnessError("amqtt did not start: \(error)\n\(log)")
    }
  }
}

extension HarnessError {
  /// A start failure that a fresh set of ports fixes.
  fileprivate var isPortRace: Bool {
    description.contains("exited during startup") || description.contains("address already in use")
  }
}
