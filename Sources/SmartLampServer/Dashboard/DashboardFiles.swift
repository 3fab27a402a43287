import Crypto
import Foundation
import NIOCore

/// The dashboard's files: embedded in the binary at build time (the default), or read from a folder on every
/// request (`dashboard.dir`, for development: an edit shows on reload). Owns the version hash that makes asset URLs
/// cacheable forever, and the `{{ASSETS}}`/`{{VERSION}}` substitution in the few files the browser must find at
/// fixed URLs.
struct DashboardFiles: Sendable {
  /// One servable file.
  struct File: Sendable {
    let body: ByteBuffer
    let contentType: String
    let etag: String
  }

  /// The files whose URL cannot change between versions: the page itself, the service worker (its scope is its
  /// folder) and the manifest. They are served at the root with `no-cache` and carry the substitutions.
  static let rootFiles: Set<String> = ["index.html", "sw.js", "manifest.webmanifest"]

  private enum Source: Sendable {
    case embedded(Snapshot)
    case directory(String)
  }

  /// Every file with the digest over all of them.
  private struct Snapshot: Sendable {
    let contents: [String: [UInt8]]
    let hash: String

    init(contents: [String: [UInt8]]) {
      self.contents = contents
      hash = DashboardFiles.snapshotHash(contents)
    }
  }

  private let source: Source

  /// Files from the binary.
  static let embedded = DashboardFiles(
    source: .embedded(
      Snapshot(
        contents: Dictionary(
          EmbeddedFiles.dashboard.map { ($0.path, Array(Data(base64Encoded: $0.base64) ?? Data())) },
          uniquingKeysWith: { first, _ in first }))))

  /// Files from `directory` (absolute or relative to the working folder), read per request.
  static func directory(_ directory: String) -> DashboardFiles {
    DashboardFiles(
      source: .directory(URL(fileURLWithPath: directory).standardizedFileURL.resolvingSymlinksInPath().path))
  }

  private init(source: Source) {
    self.source = source
  }

  /// The digest that names this version of the dashboard in `/assets/<hash>/…`.
  var hash: String {
    switch source {
    case .embedded(let snapshot): snapshot.hash
    case .directory(let root): Self.directoryHash(root)
    }
  }

  /// The file at `relative` (already checked to be a safe relative path), with substitutions applied to root files.
  func file(_ relative: String) -> File? {
    guard let bytes = bytes(relative) else { return nil }
    let contentType = Self.mimeType(for: relative)
    guard Self.rootFiles.contains(relative) else {
      return File(body: ByteBuffer(bytes: bytes), contentType: contentType, etag: Self.etag(bytes))
    }
    let text = String(decoding: bytes, as: UTF8.self)
      .replacingOccurrences(of: "{{ASSETS}}", with: "/assets/\(hash)")
      .replacingOccurrences(of: "{{VERSION}}", with: SmartLampVersion.version)
    let substituted = Array(text.utf8)
    return File(body: ByteBuffer(bytes: substituted), contentType: contentType, etag: Self.etag(substituted))
  }

  private func bytes(_ relative: String) -> [UInt8]? {
    switch source {
    case .embedded(let snapshot):
      return snapshot.contents[relative]
    case .directory(let root):
      let candidate = URL(fileURLWithPath: root).appendingPathComponent(relative).standardizedFileURL
        .resolvingSymlinksInPath().path
      // Symlinks inside the folder must not lead out of it.
      guard candidate.hasPrefix(root + "/") else { return nil }
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
        let data = FileManager.default.contents(atPath: candidate)
      else { return nil }
      return Array(data)
    }
  }

  static func snapshotHash(_ contents: [String: [UInt8]]) -> String {
    var digest = SHA256()
    for path in contents.keys.sorted() {
      digest.update(data: Array(path.utf8) + [0])
      digest.update(data: contents[path] ?? [])
      digest.update(data: [0])
    }
    return digest.finalize().prefix(6).map { String(format: "%02x", $0) }.joined()
  }

  /// For a folder: a digest of every file's path, size and modification time (cheap, and changes on every edit).
  private static func directoryHash(_ root: String) -> String {
    var digest = SHA256()
    let walker = FileManager.default.enumerator(atPath: root)
    var entries: [String] = []
    while let path = walker?.nextObject() as? String {
      guard let attributes = walker?.fileAttributes, attributes[.type] as? FileAttributeType == .typeRegular
      else { continue }
      let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
      let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
      entries.append("\(path)|\(size)|\(modified)")
    }
    for entry in entries.sorted() { digest.update(data: Array(entry.utf8) + [0]) }
    return digest.finalize().prefix(6).map { String(format: "%02x", $0) }.joined()
  }

  private static func etag(_ bytes: [UInt8]) -> String {
    "\"" + SHA256.hash(data: bytes).prefix(8).map { String(format: "%02x", $0) }.joined() + "\""
  }

  static func mimeType(for path: String) -> String {
    switch URL(fileURLWithPath: path).pathExtension.lowercased() {
    case "html", "htm": "text/html; charset=utf-8"
    case "js", "mjs": "text/javascript; charset=utf-8"
    case "css": "text/css; charset=utf-8"
    case "json", "map": "application/json; charset=utf-8"
    case "webmanifest": "application/manifest+json"
    case "svg": "image/svg+xml"
    case "png": "image/png"
    case "jpg", "jpeg": "image/jpeg"
    case "ico": "image/x-icon"
    case "woff2": "font/woff2"
    case "txt": "text/plain; charset=utf-8"
    default: "application/octet-stream"
    }
  }
}
