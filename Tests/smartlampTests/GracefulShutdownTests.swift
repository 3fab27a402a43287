import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// SIGTERM while a request is in flight: the listener closes, the request still gets its answer, the process exits 0.
@Suite struct GracefulShutdownTests {
  @Test func inFlightRequestFinishesThenExitZero() async throws {
    let dir = TemporaryDirectory(prefix: "smartlamp-shutdown")
    let port = freePort()
    let server = try ChildProcess(
      executable: CLI.binary,
      arguments: [
        "serve", "--port", String(port), "--set", "data.dir=\(dir.path)/data",
        "--database-url", "sqlite://\(dir.path)/lamp.sqlite", "--set", "dashboard.dir=\(dir.path)",
        "--set", "mqtt.url=mqtt://127.0.0.1:\(freePort())", "--set", "auth.bcrypt-cost=4",
      ],
      stdoutPath: dir.file("out.log"), stderrPath: dir.file("err.log"))
    try await poll("server listens", timeout: .seconds(60)) { portAcceptsConnections(port) }

    // Send the headers and half of the body, so the request is in flight while the signal arrives.
    let body = #"{"email":"nobody@example.com","password":"wrong-password"}"#
    let socket = try RawSocket(port: port)
    try socket.send(
      "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + "Content-Length: \(body.utf8.count)\r\n\r\n" + String(body.prefix(10)))
    server.signal(SIGTERM)
    try await poll("listener closed after SIGTERM", timeout: .seconds(30)) { !portAcceptsConnections(port) }
    try socket.send(String(body.dropFirst(10)))
    let answer = try socket.receiveResponseHead()
    #expect(answer.hasPrefix("HTTP/1.1 "), "\(answer)")
    #expect(!answer.hasPrefix("HTTP/1.1 5"), "\(answer)")
    await server.waitForExit(timeout: .seconds(30))
    #expect(server.exitCode == 0, "\(server.standardError)")
  }
}

/// A blocking TCP client for byte-exact HTTP/1.1 conversations.
final class RawSocket {
  let fd: Int32

  init(port: Int) throws {
    fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let result = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard result == 0 else { throw HarnessError("connect failed") }
    var timeout = timeval(tv_sec: 30, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
  }

  deinit { close(fd) }

  func send(_ text: String) throws {
    let bytes = Array(text.utf8)
    let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    guard sent == bytes.count else { throw HarnessError("send failed") }
  }

  /// Reads until the end of the response head.
  func receiveResponseHead() throws -> String {
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while !String(decoding: data, as: UTF8.self).contains("\r\n\r\n") {
      let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      guard count > 0 else { break }
      data.append(contentsOf: buffer[0..<count])
    }
    return String(decoding: data, as: UTF8.self)
  }
}
