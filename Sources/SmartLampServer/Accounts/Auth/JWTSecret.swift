import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where the access-token signing secret comes from: the configuration, else `<dataDirectory>/jwt-secret`,
/// generated once (48 random bytes, hex) with mode 0600 and reused on every later start.
enum JWTSecret {
  enum Failure: Error, CustomStringConvertible {
    case unreadable(String)
    case unwritable(String)
    var description: String {
      switch self {
      case .unreadable(let path): "cannot read the JWT secret file \(path)"
      case .unwritable(let path): "cannot create the JWT secret file \(path)"
      }
    }
  }

  static func resolve(configured: String?, dataDirectory: String) throws -> String {
    if let configured, !configured.isEmpty { return configured }
    try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
    let path = (dataDirectory as NSString).appendingPathComponent("jwt-secret")
    if let existing = try read(path) { return existing }
    let secret = SecretTokens.randomHex(bytes: 48)
    // O_EXCL: when two processes start at once, one creates the file and the other reads the winner's secret.
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
    guard fd >= 0 else {
      if errno == EEXIST, let existing = try read(path) { return existing }
      throw Failure.unwritable(path)
    }
    let bytes = Array((secret + "\n").utf8)
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    guard written == bytes.count else { throw Failure.unwritable(path) }
    return secret
  }

  private static func read(_ path: String) throws -> String? {
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw Failure.unreadable(path) }
    let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
    // An empty file is what a crash between create and write leaves behind; refuse to sign with nothing.
    guard !secret.isEmpty else { throw Failure.unreadable(path) }
    return secret
  }
}
