import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// HTTPS as a household runs it: `smartlamp cert` makes the CA and certificate, `serve` speaks TLS with HTTP/2 and
/// HTTP/1.1 by ALPN, curl verifies it against the CA only, the redirect listener sends plain HTTP to HTTPS, and
/// SIGHUP swaps the certificate for new handshakes while an open stream stays open.
@Suite struct HTTPSTests {
  @Test func certificateHTTP2RedirectSecureCookiesAndReload() async throws {
    let dir = TemporaryDirectory(prefix: "smartlamp-https")
    let tls = dir.path + "/tls"
    let issued = try CLI.run(["cert", "--host", "lampu.local", "--ip", "127.0.0.1", "--dir", tls], in: dir.path)
    #expect(issued.status == 0, "\(issued.stderr)")
    #expect(issued.stdout.contains("made a new local CA"))
    #expect(issued.stdout.contains("Android") && issued.stdout.contains("iPhone") && issued.stdout.contains("Firefox"))
    #expect(try Self.mode(tls + "/server.key") == 0o600)
    #expect(try Self.mode(tls + "/ca.key") == 0o600)

    let database = "sqlite://\(dir.path)/lamp.sqlite"
    let created = try CLI.run(
      [
        "user", "create", "--email", "ibu@rumah.id", "--name", "Ibu", "--admin", "--password-stdin",
        "--database-url", database, "--set", "auth.bcrypt-cost=4",
      ], in: dir.path, stdin: "rahasia-sekali\n")
    #expect(created.status == 0, "\(created.stderr)")

    let port = freePort()
    let redirectPort = freePort()
    let server = try ChildProcess(
      executable: CLI.binary,
      arguments: [
        "serve", "--port", String(port), "--database-url", database, "--set", "data.dir=\(dir.path)/data",
        "--set", "mqtt.url=mqtt://127.0.0.1:\(freePort())", "--set", "http.tls-cert-file=\(tls)/server.crt",
        "--set", "http.tls-key-file=\(tls)/server.key", "--set", "http.redirect-port=\(redirectPort)",
        "--set", "http.hsts-max-age-sec=600",
      ],
      stdoutPath: dir.file("out.log"), stderrPath: dir.file("err.log"))
    defer { server.signal(SIGKILL) }
    try await poll("HTTPS and redirect ports listen", timeout: .seconds(60)) {
      portAcceptsConnections(port) && portAcceptsConnections(redirectPort)
    }
    let ca = ["--cacert", tls + "/ca.crt"]
    let lampu = ["--resolve", "lampu.local:\(port):127.0.0.1"]
    let base = "https://lampu.local:\(port)"

    // HTTP/2 by ALPN, verified against the household CA alone.
    let h2 = try Self.curl(ca + lampu + ["--http2", "-w", "\n%{http_version}", "\(base)/api/health"])
    #expect(h2.status == 0, "\(h2.stderr)")
    #expect(h2.stdout.contains(#""status":"ok""#))
    #expect(h2.stdout.hasSuffix("\n2"), "\(h2.stdout)")
    let h1 = try Self.curl(ca + lampu + ["--http1.1", "-i", "\(base)/api/health"])
    #expect(h1.stdout.hasPrefix("HTTP/1.1 200"), "\(h1.stdout.prefix(200))")
    #expect(h1.stdout.lowercased().contains("strict-transport-security: max-age=600"))
    let byIP = try Self.curl(ca + ["https://127.0.0.1:\(port)/api/health"])
    #expect(byIP.status == 0, "the certificate names the IP too: \(byIP.stderr)")
    let untrusted = try Self.curl(["--cacert", "/etc/ssl/certs/ca-certificates.crt"] + lampu + ["\(base)/api/health"])
    #expect(untrusted.status == 60, "without the household CA curl refuses: \(untrusted.status) \(untrusted.stderr)")

    // The plain listener only redirects, keeping path and query.
    let redirect = try Self.curl([
      "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "-H", "Host: lampu.local",
      "http://127.0.0.1:\(redirectPort)/lamps?room=dapur",
    ])
    #expect(redirect.stdout == "308 https://lampu.local:\(port)/lamps?room=dapur", "\(redirect.stdout)")

    // Cookies are Secure over TLS without any cookie setting.
    let jar = dir.file("cookies.txt")
    let login = try Self.curl(
      ca + lampu + [
        "-i", "-c", jar, "-H", "Content-Type: application/json",
        "--data", #"{"email":"ibu@rumah.id","password":"rahasia-sekali"}"#, "\(base)/api/v1/auth/login",
      ])
    let cookies = login.stdout.split(separator: "\r\n").filter { $0.lowercased().hasPrefix("set-cookie:") }
    #expect(cookies.count == 2, "\(login.stdout.prefix(600))")
    #expect(cookies.allSatisfy { $0.contains("; Secure") }, "\(cookies)")

    // An open realtime stream over HTTP/2 outlives the reload.
    let stream = try ChildProcess(
      executable: "/usr/bin/curl",
      arguments: ["-sS", "-N", "--http2", "-b", jar] + ca + lampu + ["\(base)/api/v1/realtime/stream"],
      stdoutPath: dir.file("stream.out"), stderrPath: dir.file("stream.err"))
    defer { stream.signal(SIGKILL) }
    try await poll("the stream opens", timeout: .seconds(20)) {
      ((try? String(contentsOfFile: dir.file("stream.out"), encoding: .utf8)) ?? "").contains("retry:")
    }

    let other = ["--resolve", "andere.local:\(port):127.0.0.1"]
    #expect(try Self.curl(ca + other + ["https://andere.local:\(port)/api/health"]).status != 0)
    let renewed = try CLI.run(["cert", "--host", "andere.local", "--dir", tls], in: dir.path)
    #expect(renewed.status == 0, "\(renewed.stderr)")
    #expect(renewed.stdout.contains("reused the local CA"))
    #expect(try Self.curl(ca + other + ["https://andere.local:\(port)/api/health"]).status != 0, "not before SIGHUP")
    server.signal(SIGHUP)
    try await poll("a new handshake presents the renewed certificate", timeout: .seconds(20)) {
      try Self.curl(ca + other + ["https://andere.local:\(port)/api/health"]).status == 0
    }
    #expect(server.isRunning)
    #expect(stream.isRunning, "the open stream survived: \(stream.standardError)")

    await server.terminate()
    #expect(server.exitCode == 0, "\(server.standardError.suffix(1500))")
    await stream.waitForExit(timeout: .seconds(20))
    // The server ends the stream at shutdown (the client exits, never hangs). Over HTTP/2 Hummingbird closes the
    // connection from the stream-closed callback, which can run before the final END_STREAM frame is flushed
    // (HTTP2ServerConnectionManager._streamClosed, hummingbird#723): curl then reports exit 18 for that same
    // ending, about one run in six. Any other failure still fails here.
    let endedAtShutdown =
      stream.exitCode == 0
      || (stream.exitCode == 18 && stream.standardError.contains("was not closed cleanly before end of the underlying"))
    #expect(
      endedAtShutdown, "the stream ended at shutdown: \(String(describing: stream.exitCode)) \(stream.standardError)")
  }

  @Test func halfATLSPairOrARedirectWithoutTLSIsRefused() throws {
    let dir = TemporaryDirectory(prefix: "smartlamp-https")
    try "x".write(toFile: dir.file("cert.pem"), atomically: true, encoding: .utf8)
    let half = try CLI.run(["serve", "--set", "http.tls-cert-file=\(dir.file("cert.pem"))"], in: dir.path)
    #expect(half.status == 2)
    #expect(half.stderr.contains("http.tls-key-file"), "\(half.stderr)")
    let redirect = try CLI.run(["serve", "--set", "http.redirect-port=8080"], in: dir.path)
    #expect(redirect.status == 2)
    #expect(redirect.stderr.contains("http.redirect-port"), "\(redirect.stderr)")
    let notPEM = try CLI.run(
      [
        "serve", "--set", "http.tls-cert-file=\(dir.file("cert.pem"))", "--set",
        "http.tls-key-file=\(dir.file("cert.pem"))", "--set", "data.dir=\(dir.path)/data",
        "--set", "mqtt.url=mqtt://127.0.0.1:\(freePort())", "--port", String(freePort()),
      ], in: dir.path)
    #expect(notPEM.status == 1)
    #expect(notPEM.stderr.contains("http.tls-cert-file"), "\(notPEM.stderr)")
  }

  static func mode(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? Int ?? 0) & 0o777
  }

  /// curl with a clean environment (no CA bundle variables from the developer's shell).
  static func curl(_ arguments: [String]) throws -> CLIResult {
    try Tool.run("/usr/bin/curl", ["-sS", "--max-time", "20"] + arguments)
  }
}

/// Runs any program once and captures its output.
enum Tool {
  static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws
    -> CLIResult
  {
    var env = environment
    env["PATH"] = env["PATH"] ?? "/usr/bin:/bin"
    return try runOnce(executable, arguments, environment: env)
  }
}
