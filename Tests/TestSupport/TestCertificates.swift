import Foundation

/// A throwaway PKI for TLS tests, made once per test process with openssl: a self-signed CA, a server certificate
/// for `IP:127.0.0.1` and `DNS:localhost`, and a client certificate for mutual TLS, all signed by that CA.
public struct TestCertificates: Sendable {
  public let directory: String
  public var caFile: String { directory + "/ca.crt" }
  public var serverCertificateFile: String { directory + "/server.crt" }
  public var serverKeyFile: String { directory + "/server.key" }
  public var clientCertificateFile: String { directory + "/client.crt" }
  public var clientKeyFile: String { directory + "/client.key" }

  /// The shared set, created on first use (under the system temp directory, removed when the process ends).
  /// Generation runs openssl as child processes awaited asynchronously, so concurrent tests never block the
  /// cooperative thread pool while it runs.
  public static func shared() async throws -> TestCertificates {
    try await generation.value
  }

  private static let generation = Task<TestCertificates, any Error> {
    let directory = TemporaryDirectory(prefix: "smartlamp-pki")
    let certificates = TestCertificates(directory: directory.path)
    try await certificates.generate()
    keepAlive.withLock { $0 = directory }
    return certificates
  }
  private static let keepAlive = Locked<TemporaryDirectory?>(nil)

  private func generate() async throws {
    let days = "30"
    try await runTool(
      "/usr/bin/openssl",
      [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", days, "-keyout",
        "ca.key", "-out", "ca.crt",
        "-subj", "/CN=smartlamp-test-CA",
      ], in: directory)
    for (name, extensions) in [
      ("server", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
      ("client", "extendedKeyUsage=clientAuth\n"),
    ] {
      try await runTool(
        "/usr/bin/openssl",
        [
          "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "\(name).key",
          "-out", "\(name).csr", "-subj",
          "/CN=\(name == "server" ? "localhost" : "smartlamp-test-client")",
        ], in: directory)
      try ("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n" + extensions)
        .write(toFile: directory + "/\(name).ext", atomically: true, encoding: .utf8)
      try await runTool(
        "/usr/bin/openssl",
        [
          "x509", "-req", "-in", "\(name).csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out",
          "\(name).crt", "-days", days, "-extfile", "\(name).ext",
        ], in: directory)
    }
    // Mosquitto may drop to user "mosquitto"; let it read the keys (throwaway test material only).
    for file in ["server.key", "client.key", "ca.crt", "server.crt", "client.crt"] {
      try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: directory + "/" + file)
    }
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory)
  }
}

/// Runs a short command to completion without blocking a thread, throwing with its output if it fails.
public func runTool(_ executable: String, _ arguments: [String], in directory: String? = nil) async throws {
  let output = TemporaryDirectory(prefix: "smartlamp-tool")
  var arguments = arguments
  var executable = executable
  if let directory {
    // posix_spawn has no portable chdir action: let the shell change directory, with arguments passed verbatim.
    arguments = ["-c", "cd \"$0\" && exec \"$@\"", directory, executable] + arguments
    executable = "/bin/sh"
  }
  let child = try ChildProcess(
    executable: executable, arguments: arguments, stdoutPath: output.file("out"), stderrPath: output.file("out"))
  await child.waitForExit(timeout: .seconds(60))
  guard child.exitCode == 0 else {
    throw HarnessError("\(executable) \(arguments.joined(separator: " ")) failed: \(child.standardOutput)")
  }
}
