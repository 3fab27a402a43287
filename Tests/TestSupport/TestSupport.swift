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

/// Asks the kernel for a free TCP port on 127.0.0.1 by binding port 0.
public func freePort() -> Int {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  precondition(fd >= 0, "socket() failed")
  defer { close(fd) }
  var addr = sockaddr_in()
  addr.sin_family = sa_family_t(AF_INET)
  addr.sin_port = 0
  addr.sin_addr.s_addr = inet_addr("127.0.0.1")
  var len = socklen_t(MemoryLayout<sockaddr_in>.size)
  let bound = withUnsafePointer(to: &addr) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
  }
  precondition(bound == 0, "bind() failed")
  _ = withUnsafeMutablePointer(to: &addr) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
  }
  return Int(UInt16(bigEndian: addr.sin_port))
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
