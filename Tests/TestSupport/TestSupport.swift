/// Test harness shared by every test target: free loopback ports, temporary folders, polling with a deadline,
/// and the real peer processes (Mosquitto, amqtt, paho-mqtt) the integration tests talk to.
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Thrown by ``poll(timeout:interval:_:)`` when the condition never held.
public struct PollTimeout: Error, CustomStringConvertible {
  public let what: String
  public var description: String { "condition not met before the deadline: \(what)" }
}

/// Waits until `condition` is true, checking every `interval`, and fails after `timeout`.
/// Tests synchronise through this, never through fixed sleeps.
public func poll(
  _ what: String = "condition",
  timeout: Duration = .seconds(30),
  interval: Duration = .milliseconds(20),
  _ condition: () async throws -> Bool
) async throws {
  let clock = ContinuousClock()
  let deadline = clock.now.advanced(by: timeout)
  while true {
    if try await condition() { return }
    if clock.now >= deadline { throw PollTimeout(what: what) }
    try await Task.sleep(for: interval)
  }
}

/// A free TCP port on 127.0.0.1 for a peer the test is about to start.
///
/// Ports come from below the kernel's ephemeral range: the kernel hands ephemeral ports to outgoing connections
/// (our own readiness probes among them), so a listener on one can lose a race to a client socket and fail to bind.
/// Each port is handed out once per test process and checked bindable before it is returned.
public func freePort() -> Int {
  let (low, high) = reservablePortRange
  while true {
    let port = Int.random(in: low...high)
    guard handedOutPorts.withLock({ $0.insert(port).inserted }) else { continue }
    if canBind(port: port) { return port }
  }
}

private let handedOutPorts = Locked(Set<Int>())

/// 10 000 up to the start of the ephemeral range (Linux: `ip_local_port_range`, usually 32768).
private let reservablePortRange: (Int, Int) = {
  let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
  let ephemeralLow = text.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32768
  let high = ephemeralLow > 12_000 ? ephemeralLow - 1 : 65_535
  return (ephemeralLow > 12_000 ? 10_000 : 61_000, high)
}()

private func canBind(port: Int) -> Bool {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  guard fd >= 0 else { return false }
  defer { close(fd) }
  var addr = sockaddr_in()
  addr.sin_family = sa_family_t(AF_INET)
  addr.sin_port = in_port_t(UInt16(port).bigEndian)
  addr.sin_addr.s_addr = inet_addr("127.0.0.1")
  let bound = withUnsafePointer(to: &addr) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
      bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
    }
  }
  return bound == 0
}

/// A folder under the system temp directory, removed when the value is released.
public final class TemporaryDirectory: Sendable {
  public let path: String
  public init(prefix: String = "smartlamp-test") {
    let base = FileManager.default.temporaryDirectory.path
    path = "\(base)/\(prefix)-\(UUID().uuidString.prefix(8))"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }
  public func file(_ name: String) -> String { "\(path)/\(name)" }
  deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The repository root, found from this source file's location, for scripts and fixtures.
public let repositoryRoot: String = {
  var url = URL(fileURLWithPath: #filePath)
  for _ in 0..<3 { url.deleteLastPathComponent() }
  return url.path
}()
