import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The first run from the binary: `smartlamp serve` prints a setup code when no admin exists, `smartlamp
/// setup-code` replaces it (the printed one stops working), the new one creates the first admin once, and after
/// that no code is issued.
@Suite struct SetupCodeCLITests {
  static var codePattern: Regex<Substring> { /[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}/ }

  static func post(_ path: String, json body: String, port: Int) throws -> String {
    let socket = try RawSocket(port: port)
    try socket.send(
      "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body)
    return try socket.receiveToEnd()
  }

  static func setup(code: String, port: Int) throws -> String {
    try post(
      "/api/v1/setup",
      json: #"{"setupCode":"\#(code)","name":"Ibu","email":"ibu@rumah.id","password":"rahasia-sekali"}"#, port: port)
  }

  @Test func servePrintsACodeAndSetupCodeReplacesIt() async throws {
    let dir = TemporaryDirectory(prefix: "smartlamp-setup")
    let database = "sqlite://\(dir.path)/lamp.sqlite"
    let port = freePort()
    let server = try ChildProcess(
      executable: CLI.binary,
      arguments: [
        "serve", "--port", String(port), "--set", "data.dir=\(dir.path)/data", "--database-url", database,
        "--set", "auth.bcrypt-cost=4", "--set", "mqtt.url=mqtt://127.0.0.1:\(freePort())",
      ],
      stdoutPath: dir.file("out.log"), stderrPath: dir.file("err.log"))
    defer { server.signal(SIGTERM) }
    try await poll("server listens", timeout: .seconds(60)) { portAcceptsConnections(port) }
    let line = try #require(
      (server.standardError + server.standardOutput).split(separator: "\n").first { $0.contains("setup code: ") },
      "one log line with the setup code")
    let printed = try #require(line.firstMatch(of: Self.codePattern)).output

    let replaced = try CLI.run(["setup-code", "--database-url", database], in: dir.path)
    #expect(replaced.status == 0, "\(replaced.stderr)")
    let fresh = replaced.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(fresh.wholeMatch(of: Self.codePattern) != nil, "\(fresh)")
    #expect(fresh != String(printed))

    let old = try Self.setup(code: String(printed), port: port)
    #expect(old.hasPrefix("HTTP/1.1 403"), "\(old.prefix(300))")
    #expect(old.contains("SETUP_CODE_INVALID"))
    let created = try Self.setup(code: fresh, port: port)
    #expect(created.hasPrefix("HTTP/1.1 201"), "\(created.prefix(400))")
    #expect(created.lowercased().contains("set-cookie: auth_token="))
    let again = try Self.setup(code: fresh, port: port)
    #expect(again.hasPrefix("HTTP/1.1 409"), "\(again.prefix(300))")

    let done = try CLI.run(["setup-code", "--database-url", database], in: dir.path)
    #expect(done.status == 1)
    #expect(done.stdout.isEmpty && done.stderr.contains("administrator exists"))
    let login = try Self.post(
      "/api/v1/auth/login", json: #"{"email":"ibu@rumah.id","password":"rahasia-sekali"}"#, port: port)
    #expect(login.hasPrefix("HTTP/1.1 200"), "\(login.prefix(300))")
  }
}
