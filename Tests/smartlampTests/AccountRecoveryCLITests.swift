import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `smartlamp user passwd|role|deactivate|activate` against a running server: the way back in for a household whose
/// only admin forgot the password. What the shell changes reaches open sessions within `auth.session-cache-ms`.
@Suite struct AccountRecoveryCLITests {
  @Test func passwdEndsSessionsTheOldPasswordAndTheLockOut() async throws {
    let home = try await RecoveryHome.start()
    let cookie = try #require(try home.login("ibu@rumah.id", "rahasia-sekali"))
    #expect(try home.status("GET", "/api/v1/profile", cookie: cookie) == 200)
    // Lock the account out with wrong passwords, as someone who forgot it would.
    for _ in 0..<4 { _ = try home.login("ibu@rumah.id", "salah-terus-menerus") }
    #expect(try home.login("ibu@rumah.id", "rahasia-sekali") == nil, "the account is locked out")

    let changed = try home.cli(["user", "passwd", "IBU@rumah.id", "--password-stdin"], stdin: "kata-sandi-baru\n")
    #expect(changed.status == 0, "\(changed.stderr)")
    #expect(changed.stdout.contains("password changed for ibu@rumah.id"))
    #expect(!changed.stdout.contains("kata-sandi-baru") && !changed.stderr.contains("kata-sandi-baru"))

    try await poll("the old session stops working", timeout: .seconds(10)) {
      try home.status("GET", "/api/v1/profile", cookie: cookie) == 401
    }
    #expect(try home.login("ibu@rumah.id", "rahasia-sekali") == nil)
    #expect(try home.login("ibu@rumah.id", "kata-sandi-baru") != nil, "the new password works at once")
  }

  @Test func roleDeactivateAndActivateKeepTheLastAdmin() async throws {
    let home = try await RecoveryHome.start()
    let lastAdmin = try home.cli(["user", "role", "ibu@rumah.id", "member"])
    #expect(lastAdmin.status == 1)
    #expect(lastAdmin.stderr.contains("last active admin"), "\(lastAdmin.stderr)")
    #expect(try home.cli(["user", "deactivate", "ibu@rumah.id"]).status == 1)

    let member = try #require(try home.login("anak@rumah.id", "password-anak"))
    #expect(try home.status("GET", "/api/v1/users", cookie: member) == 403)
    let promoted = try home.cli(["user", "role", "anak@rumah.id", "admin"])
    #expect(promoted.status == 0, "\(promoted.stderr)")
    #expect(promoted.stdout.contains("anak@rumah.id is now admin"))
    try await poll("the member's old session ends with the role change", timeout: .seconds(10)) {
      try home.status("GET", "/api/v1/profile", cookie: member) == 401
    }
    let admin = try #require(try home.login("anak@rumah.id", "password-anak"))
    #expect(try home.status("GET", "/api/v1/users", cookie: admin) == 200)

    let ibu = try #require(try home.login("ibu@rumah.id", "rahasia-sekali"))
    let deactivated = try home.cli(["user", "deactivate", "ibu@rumah.id"])
    #expect(deactivated.status == 0, "\(deactivated.stderr)")
    try await poll("the deactivated admin's session ends", timeout: .seconds(10)) {
      try home.status("GET", "/api/v1/profile", cookie: ibu) == 401
    }
    #expect(try home.login("ibu@rumah.id", "rahasia-sekali") == nil)
    let activated = try home.cli(["user", "activate", "ibu@rumah.id"])
    #expect(activated.status == 0, "\(activated.stderr)")
    #expect(try home.login("ibu@rumah.id", "rahasia-sekali") != nil)

    let unknown = try home.cli(["user", "passwd", "nobody@rumah.id", "--password-stdin"], stdin: "whatever-long\n")
    #expect(unknown.status == 1)
    #expect(unknown.stderr.contains("no user with email nobody@rumah.id"))
    let short = try home.cli(["user", "passwd", "ibu@rumah.id", "--password-stdin"], stdin: "short\n")
    #expect(short.status == 2)
    #expect(short.stderr.contains("password:"))
    let badRole = try home.cli(["user", "role", "ibu@rumah.id", "owner"])
    #expect(badRole.status != 0)
  }
}

/// A server on a fresh SQLite file with one admin (ibu) and one member (anak), a low bcrypt cost and a login limit
/// of three failures, so a lock-out is quick to provoke.
private struct RecoveryHome {
  let dir: TemporaryDirectory
  let port: Int
  let server: ChildProcess
  var settings: [String] {
    [
      "--database-url", "sqlite://\(dir.path)/lamp.sqlite", "--set", "auth.bcrypt-cost=4",
      "--set", "data.dir=\(dir.path)/data",
    ]
  }

  static func start() async throws -> RecoveryHome {
    let dir = TemporaryDirectory(prefix: "smartlamp-recovery")
    let base = [
      "--database-url", "sqlite://\(dir.path)/lamp.sqlite", "--set", "auth.bcrypt-cost=4",
      "--set", "data.dir=\(dir.path)/data",
    ]
    for (email, name, admin, password) in [
      ("ibu@rumah.id", "Ibu", true, "rahasia-sekali"), ("anak@rumah.id", "Anak", false, "password-anak"),
    ] {
      let created = try CLI.run(
        ["user", "create", "--email", email, "--name", name, "--password-stdin"] + (admin ? ["--admin"] : []) + base,
        in: dir.path, stdin: password + "\n")
      #expect(created.status == 0, "\(created.stderr)")
    }
    let port = freePort()
    let server = try ChildProcess(
      executable: CLI.binary,
      arguments: [
        "serve", "--port", String(port), "--set", "mqtt.url=mqtt://127.0.0.1:\(freePort())",
        "--set", "ratelimit.login-max=3", "--set", "auth.session-cache-ms=200",
      ] + base,
      stdoutPath: dir.file("out.log"), stderrPath: dir.file("err.log"))
    try await poll("server listens", timeout: .seconds(60)) { portAcceptsConnections(port) }
    return RecoveryHome(dir: dir, port: port, server: server)
  }

  func cli(_ arguments: [String], stdin: String? = nil) throws -> CLIResult {
    try CLI.run(arguments + settings, in: dir.path, stdin: stdin)
  }

  /// The `auth_token` cookie of a successful login, nil when refused.
  func login(_ email: String, _ password: String) throws -> String? {
    let body = #"{"email":"\#(email)","password":"\#(password)"}"#
    let head = try request("POST", "/api/v1/auth/login", body: body)
    guard head.hasPrefix("HTTP/1.1 200") else { return nil }
    return head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie: auth_token=") }
      .flatMap { $0.dropFirst("set-cookie: ".count).split(separator: ";").first.map(String.init) }
  }

  func status(_ method: String, _ path: String, cookie: String) throws -> Int {
    let head = try request(method, path, cookie: cookie)
    return Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
  }

  private func request(_ method: String, _ path: String, cookie: String? = nil, body: String? = nil) throws -> String {
    let socket = try RawSocket(port: port)
    var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    if let cookie { text += "Cookie: \(cookie)\r\n" }
    if let body { text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
    try socket.send(text + "\r\n" + (body ?? ""))
    return try socket.receive(until: "\r\n\r\n")
  }
}
