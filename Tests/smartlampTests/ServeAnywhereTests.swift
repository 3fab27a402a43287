import Foundation
import TestSupport
import Testing

/// The binary carries its dashboard: started from an empty folder, with no `dashboard.dir`, it serves the page
/// and the page's assets (an installed copy has no checkout beside it).
@Suite struct ServeAnywhereTests {
  @Test func anEmptyWorkingFolderStillServesTheDashboard() async throws {
    let dir = TemporaryDirectory(prefix: "smartlamp-anywhere")
    let port = freePort()
    // `sh` changes into the empty folder first, then becomes the server.
    let server = try ChildProcess(
      executable: "/bin/sh",
      arguments: [
        "-c", #"cd "$0" && exec "$@""#, dir.path, CLI.binary,
        "serve", "--port", String(port), "--database-url", "sqlite://\(dir.path)/lamp.sqlite",
        "--set", "data.dir=\(dir.path)/data", "--set", "mqtt.url=mqtt://127.0.0.1:\(freePort())",
      ],
      stdoutPath: dir.file("out.log"), stderrPath: dir.file("err.log"))
    defer { server.signal(SIGTERM) }
    try await poll("server listens", timeout: .seconds(60)) { portAcceptsConnections(port) }

    let page = try Self.get("/", port: port)
    #expect(page.hasPrefix("HTTP/1.1 200"), "\(page.prefix(300))")
    #expect(page.lowercased().contains("content-type: text/html"))
    #expect(page.contains("<title>"))
    #expect(!page.contains("{{ASSETS}}"))
    let index = try String(contentsOfFile: repositoryRoot + "/Dashboard/index.html", encoding: .utf8)
    #expect(page.contains(index.prefix(40)), "the page is the repository's Dashboard/index.html")
  }

  static func get(_ path: String, port: Int) throws -> String {
    let socket = try RawSocket(port: port)
    try socket.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    return try socket.receiveToEnd()
  }
}
