import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// SIGTERM while a request is in flight: the listener closes, the request still gets its answer, the process exits 0.
@Suite struct GracefulShutdownTests {
  @Test func openStreamEndsCleanlyAndTheProcessExitsZero() async throws {
    let dir = TemporaryDirectory(prefix: "smartlamp-shutdown")
    let database = "sqlite://\(dir.path)/lamp.sqlite"
    let created = try CLI.run(
      [
        "user", "create", "--email", "ibu@rumah.id", "--name", "Ibu", "--admin", "--password-stdin",
        "--database-url", database, "--set", "auth.bcrypt-cost=4",
      ],
      in: dir.path, stdin: "rahasia-sekali\n")
    #expect(created.status == 0, "\(created.stderr)")
    let port = freePort()
    let server = try ChildProcess(
      executable: CLI.binary,
      arguments: [
        "serve", "--port", String(port), "--set", "data.dir=\(dir.path)/data", "--database-url", database,
        "--set", "dashboard.dir=\(dir.path)", "--set", "mqtt.url=mqtt://127.0.0.1:\(freePort())",
      ],
      stdoutPath: dir.file("out.log"), stderrPath: dir.file("err.log"))
    try await poll("server listens", timeout: .seconds(60)) { portAcceptsConnections(port) }

    let body = #"{"email":"ibu@rumah.id","password":"rahasia-sekali"}"#
    let login = try RawSocket(port: port)
    try login.send(
      "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body)
    let loginHead = try login.receive(until: "\r\n\r\n")
    #expect(loginHead.hasPrefix("HTTP/1.1 200"), "\(loginHead)")
    let cookie = try #require(
      loginHead.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie: auth_token=") }?
        .dropFirst("set-cookie: ".count).split(separator: ";").first)

    // An open realtime stream is a request in flight for as long as the server runs.
    let stream = try RawSocket(port: port)
    try stream.send(
      "GET /api/v1/realtime/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: \(cookie)\r\nAccept: text/event-stream\r\n\r\n"
    )
    let opened = try stream.receive(until: "retry:")
    #expect(opened.hasPrefix("HTTP/1.1 200"), "\(opened)")

    server.signal(SIGTERM)
    let rest = try stream.receiveToEnd()
    #expect(rest.hasSuffix("0\r\n\r\n"), "the chunked stream ends properly: \(rest.suffix(80))")
    await server.waitForExit(timeout: .seconds(30))
    #expect(server.exitCode == 0, "\(server.standardError.suffix(2000))")
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
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
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

  /// Reads until `marker` has arrived (or the peer closes); returns everything read.
  func receive(until marker: String) throws -> String {
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while !String(decoding: data, as: UTF8.self).contains(marker) {
      let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      guard count > 0 else { break }
      data.append(contentsOf: buffer[0..<count])
    }
    return String(decoding: data, as: UTF8.self)
  }

  /// Reads until the peer closes the connection.
  func receiveToEnd() throws -> String {
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      guard count > 0 else { break }
      data.append(contentsOf: buffer[0..<count])
    }
    return String(decoding: data, as: UTF8.self)
  }
}
