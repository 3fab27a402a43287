import Foundation
import Synchronization

/// Where log lines go. Standard error by default: under systemd that is journald, which rotates on its own. With
/// `log.file` they go to a file that is renamed to `<file>.1` once it passes `log.file-max-bytes` (the older
/// copies shift up to `log.file-keep`), so a server left running for years never fills its disk with logs.
final class LogSink: Sendable {
  struct Rotation: Sendable {
    var path: String
    var maxBytes: Int64
    var keep: Int
  }

  private struct Open {
    var handle: FileHandle?
    var size: Int64
  }

  static let standardError = LogSink(rotation: nil)

  private let rotation: Rotation?
  private let file: Mutex<Open>

  init(rotation: Rotation?) {
    self.rotation = rotation
    file = Mutex(Open(handle: nil, size: 0))
  }

  func write(_ line: String) {
    let data = Data(line.utf8)
    guard let rotation else {
      FileHandle.standardError.write(data)
      return
    }
    file.withLock { open in
      if open.handle == nil { open = Self.open(rotation.path) }
      if open.size > 0, open.size + Int64(data.count) > rotation.maxBytes {
        try? open.handle?.close()
        Self.shift(rotation)
        open = Self.open(rotation.path)
      }
      // `write(contentsOf:)` throws where `write(_:)` would stop the process (a full disk must not).
      guard let handle = open.handle, (try? handle.write(contentsOf: data)) != nil else {
        // The file cannot be written (folder gone, disk full): the line still reaches someone.
        FileHandle.standardError.write(data)
        return
      }
      open.size += Int64(data.count)
    }
  }

  private static func open(_ path: String) -> Open {
    let manager = FileManager.default
    if !manager.fileExists(atPath: path) {
      _ = manager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640])
    }
    guard let handle = FileHandle(forWritingAtPath: path) else { return Open(handle: nil, size: 0) }
    let size = (try? handle.seekToEnd()).map(Int64.init) ?? 0
    return Open(handle: handle, size: size)
  }

  /// `<file>.N-1` → `<file>.N` down to `<file>` → `<file>.1`; the oldest beyond `keep` is removed.
  private static func shift(_ rotation: Rotation) {
    let manager = FileManager.default
    func name(_ index: Int) -> String { index == 0 ? rotation.path : "\(rotation.path).\(index)" }
    try? manager.removeItem(atPath: name(rotation.keep))
    if rotation.keep == 0 { return }
    for index in stride(from: rotation.keep - 1, through: 0, by: -1) where manager.fileExists(atPath: name(index)) {
      try? manager.moveItem(atPath: name(index), toPath: name(index + 1))
    }
  }
}
