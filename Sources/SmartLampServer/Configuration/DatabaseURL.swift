import Foundation

/// Parses `database.url`: `sqlite://./relative/path`, `sqlite:///absolute/path` or
/// `mariadb://user:password@host:port/database`, or `mariadb://user:password@localhost/database?socket=/path` for a
/// Unix socket.
enum DatabaseURL {
  static func parse(_ raw: String) throws(SettingValueError) -> Configuration.DatabaseLocation {
    let value = raw.trimmingCharacters(in: .whitespaces)
    if value.lowercased().hasPrefix("sqlite://") {
      let path = String(value.dropFirst("sqlite://".count))
      guard !path.isEmpty else {
        throw SettingValueError("sqlite:// needs a file path, e.g. sqlite://./data/lamp.sqlite")
      }
      guard !path.contains("\0") else { throw SettingValueError("the path contains a NUL character") }
      return .sqlite(path: path)
    }
    if value.lowercased().hasPrefix("mariadb://") || value.lowercased().hasPrefix("mysql://") {
      guard let url = URLComponents(string: value), let host = url.host, !host.isEmpty else {
        throw SettingValueError("expected mariadb://user:password@host:port/database")
      }
      let database = url.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
      guard !database.isEmpty else { throw SettingValueError("the database name is missing after the host") }
      guard let user = url.user, !user.isEmpty else { throw SettingValueError("the user name is missing") }
      var socket: String?
      for item in url.queryItems ?? [] {
        guard item.name == "socket", let path = item.value, path.hasPrefix("/") else {
          throw SettingValueError("unknown parameter \(item.name); the only one is socket=/absolute/path")
        }
        socket = path
      }
      return .mariadb(
        host: host, port: url.port ?? 3306, user: user.removingPercentEncoding ?? user,
        password: url.password?.removingPercentEncoding ?? "", database: database, socket: socket)
    }
    throw SettingValueError("unsupported scheme; use sqlite://PATH or mariadb://user:pass@host:port/db")
  }
}
