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
  public static func shared() throws -> TestCertificates {
    try cache.get()
  }

  private static let cache: Result<TestCertificates, any Error> = Result {
    let directory = TemporaryDirectory(prefix: "smartlamp-pki")
    let certificates = TestCertificates(directory: directory.path)
    try certificates.generate()
    keepAlive = directory
    return certificates
  }
  nonisolated(unsafe) private static var keepAlive: TemporaryDirectory?

  private func generate() throws {
    let days = "30"
    try runTool(
      "/usr/bin/openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", days, "-keyout", "ca.key", "-out", "ca.crt",
       "-subj", "/CN=smartlamp-test-CA"], in: directory)
    for (name, extensions) in [
      ("server", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
      ("client", "extendedKeyUsage=clientAuth\n"),
    ] {
      try runTool(
        "/usr/bin/openssl",
        ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(name).key", "-out", "\(name).csr", "-subj",
         "/CN=\(name == "server" ? "localhost" : "smartlamp-test-client")"], in: directory)
      try ("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n" + extensions)
        .write(toFile: directory + "/\(name).ext", atomically: true, encoding: .utf8)
      try runTool(
        "/usr/bin/openssl",
        ["x509", "-req", "-in", "\(name).csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out",
         "\(name).crt", "-days", days, "-extfile", "\(name).ext"], in: directory)
    }
    // Mosquitto may drop to user "mosquitto"; let it read the keys (throwaway test material only).
    for file in ["server.key", "client.key", "ca.crt", "server.crt", "client.crt"] {
      try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: directory + "/" + file)
    }
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory)
  }
}

/// Runs a short command to completion, throwing with its output if it fails.
public func runTool(_ executable: String, _ arguments: [String], in directory: String? = nil) throws {
  guard FileManager.default.isExecutableFile(atPath: executable) else {
    throw HarnessError("\(executable) is missing: run scripts/install-deps.sh --test")
  }
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
  let output = Pipe()
  process.standardOutput = output
  process.standardError = output
  spawnLock.lock()
  do {
    try process.run()
  } catch {
    spawnLock.unlock()
    throw error
  }
  spawnLock.unlock()
  let data = output.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  guard process.terminationStatus == 0 else {
    throw HarnessError(
      "\(executable) \(arguments.joined(separator: " ")) failed: \(String(decoding: data, as: UTF8.self))")
  }
}
