import Foundation
import Logging

/// One configurable value: its key (config file and `--set`), environment variable, documentation and how a raw
/// string is parsed and checked before it lands in ``Configuration``.
public struct Setting: Sendable {
  public let key: String
  public let summary: String
  public let defaultText: String
  public let secret: Bool
  let apply: @Sendable (inout Configuration, String) throws(SettingValueError) -> Void

  public var environmentName: String {
    "SMARTLAMP_" + key.uppercased().replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: "-", with: "_")
  }
}

/// Why a raw value was refused; the loader adds the setting's name and source.
public struct SettingValueError: Error, Equatable {
  public let message: String
  public init(_ message: String) { self.message = message }
}

// MARK: - value parsers

enum SettingParse {
  static func int(_ raw: String, in range: ClosedRange<Int>) throws(SettingValueError) -> Int {
    guard let value = Int(raw.trimmingCharacters(in: .whitespaces)) else {
      throw SettingValueError("'\(raw)' is not a whole number")
    }
    guard range.contains(value) else {
      throw SettingValueError("\(value) is outside \(range.lowerBound)...\(range.upperBound)")
    }
    return value
  }

  static func double(_ raw: String, in range: ClosedRange<Double>) throws(SettingValueError) -> Double {
    guard let value = Double(raw.trimmingCharacters(in: .whitespaces)), value.isFinite else {
      throw SettingValueError("'\(raw)' is not a number")
    }
    guard range.contains(value) else {
      throw SettingValueError("\(value) is outside \(range.lowerBound)...\(range.upperBound)")
    }
    return value
  }

  static func bool(_ raw: String) throws(SettingValueError) -> Bool {
    switch raw.trimmingCharacters(in: .whitespaces).lowercased() {
    case "1", "true", "yes", "on": return true
    case "0", "false", "no", "off": return false
    default: throw SettingValueError("'\(raw)' is not a boolean (use true or false)")
    }
  }

  static func choice<E: RawRepresentable & CaseIterable>(_ raw: String, _: E.Type) throws(SettingValueError) -> E
  where E.RawValue == String {
    let wanted = raw.trimmingCharacters(in: .whitespaces).lowercased()
    guard let value = E.allCases.first(where: { $0.rawValue == wanted }) else {
      let options = E.allCases.map(\.rawValue).joined(separator: ", ")
      throw SettingValueError("'\(raw)' is not one of \(options)")
    }
    return value
  }

  static func list(_ raw: String) -> [String] {
    raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  }

  static func optionalText(_ raw: String, max: Int = 4096) throws(SettingValueError) -> String? {
    let value = raw.trimmingCharacters(in: .whitespaces)
    guard value.count <= max else { throw SettingValueError("longer than \(max) characters") }
    return value.isEmpty ? nil : value
  }

  static func existingFile(_ raw: String) throws(SettingValueError) -> String? {
    guard let path = try optionalText(raw) else { return nil }
    guard FileManager.default.isReadableFile(atPath: path) else {
      throw SettingValueError("file '\(path)' does not exist or is not readable")
    }
    return path
  }

  /// A file that may not exist yet, in a folder that does (a log file, say).
  static func fileInExistingFolder(_ raw: String) throws(SettingValueError) -> String? {
    guard let path = try optionalText(raw) else { return nil }
    let folder = (path as NSString).deletingLastPathComponent
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isDirectory),
      isDirectory.boolValue
    else { throw SettingValueError("folder of '\(path)' does not exist") }
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
      throw SettingValueError("'\(path)' is a folder, not a file")
    }
    return path
  }

  static func origin(_ raw: String) throws(SettingValueError) -> String {
    if raw == "*" {
      throw SettingValueError("'*' cannot be used: the API sends credentials (cookies); list each origin")
    }
    guard let url = URL(string: raw), let scheme = url.scheme, ["http", "https"].contains(scheme),
      url.host != nil, url.path.isEmpty || url.path == "/", url.query == nil
    else {
      throw SettingValueError("'\(raw)' is not an origin like https://home.example:8443")
    }
    return raw.hasSuffix("/") ? String(raw.dropLast()) : raw
  }

  static func ipAddressOrCIDR(_ raw: String) throws(SettingValueError) -> String {
    guard IPMatcher(raw) != nil else {
      throw SettingValueError("'\(raw)' is not an IP address or CIDR range (e.g. 10.0.0.0/8)")
    }
    return raw
  }

  static func logLevel(_ raw: String) throws(SettingValueError) -> Logger.Level {
    let wanted = raw.trimmingCharacters(in: .whitespaces).lowercased()
    guard let level = Logger.Level(rawValue: wanted == "warn" ? "warning" : wanted) else {
      let options = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
      throw SettingValueError("'\(raw)' is not one of \(options)")
    }
    return level
  }

  static func brokerURL(_ raw: String) throws(SettingValueError) -> String {
    let value = raw.trimmingCharacters(in: .whitespaces)
    guard let url = URL(string: value), let scheme = url.scheme?.lowercased(),
      ["mqtt", "mqtts", "ws", "wss", "tcp", "ssl"].contains(scheme), let host = url.host, !host.isEmpty
    else {
      throw SettingValueError("'\(raw)' is not a broker URL like mqtt://host:1883, mqtts://, ws:// or wss://")
    }
    if let port = url.port, !(1...65535).contains(port) { throw SettingValueError("port \(port) is out of range") }
    return value
  }
}
