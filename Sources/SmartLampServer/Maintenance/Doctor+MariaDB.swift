import Foundation
import SmartLampStore

/// `smartlamp doctor` with `database.url=mariadb://…`: each step of reaching the household's database gets its own
/// line — the server answers and is new enough, the login is accepted, the database exists and carries this
/// build's schema, the link is encrypted when it should be — so the line that fails names the one thing to fix.
extension Doctor {
  static func mariadb(_ config: Configuration, _ mariadb: MariaDBConfiguration) async -> [Check] {
    let server = serverName(mariadb)
    let database: MariaDBDatabase
    do {
      database = try await MariaDBDatabase.open(mariadb)
    } catch let error as MariaDBOpenError {
      return failedOpen(error, mariadb, server: server)
    } catch {
      return [
        Check(
          name: "db server", status: .fail, detail: "cannot connect to MariaDB at \(server): \(error)",
          fix: "check database.url")
      ]
    }
    var checks: [Check] = []
    do {
      let session = try await database.read { conn in
        let version = try conn.queryOne("SELECT VERSION() AS v")?.string("v") ?? "?"
        let cipher = try conn.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'").first?.string("Value") ?? ""
        let protocolVersion = try conn.query("SHOW SESSION STATUS LIKE 'Ssl_version'").first?.string("Value") ?? ""
        return (version: version, cipher: cipher, protocolVersion: protocolVersion)
      }
      checks.append(
        Check(name: "db server", status: .ok, detail: "MariaDB \(session.version) at \(server)", fix: nil))
      checks.append(
        Check(name: "db login", status: .ok, detail: "user '\(mariadb.user)' accepted", fix: nil))
      checks.append(tls(mariadb, cipher: session.cipher, protocolVersion: session.protocolVersion))
      checks.append(await schema(database, label: "'\(mariadb.database)'", config: config))
      checks.append(await servers(database))
      checks.append(backups(config))
      checks.append(await clock(database))
    } catch {
      checks.append(
        Check(
          name: "database", status: .fail, detail: "'\(mariadb.database)' at \(server): \(error)",
          fix: "check the user's privileges on the database (GRANT ALL ON \(mariadb.database).* TO …)"))
    }
    try? await database.close()
    return checks
  }

  /// `host:port` or the socket path: where the server was looked for.
  private static func serverName(_ mariadb: MariaDBConfiguration) -> String {
    switch mariadb.endpoint {
    case .tcp(let host, let port): "\(host):\(port)"
    case .socket(let path): path
    }
  }

  /// The steps before the one that failed passed; the failed one gets the fix, the ones after it are not reached.
  private static func failedOpen(_ error: MariaDBOpenError, _ mariadb: MariaDBConfiguration, server: String)
    -> [Check]
  {
    let reached = Check(name: "db server", status: .ok, detail: "MariaDB answers at \(server)", fix: nil)
    let loggedIn = Check(name: "db login", status: .ok, detail: "user '\(mariadb.user)' accepted", fix: nil)
    switch error.kind {
    case .unreachable:
      let fix =
        if case .socket = mariadb.endpoint {
          "start MariaDB (systemctl start mariadb) or correct ?socket= in database.url"
        } else {
          "start MariaDB (systemctl start mariadb) or correct the host and port in database.url"
        }
      return [Check(name: "db server", status: .fail, detail: error.reason, fix: fix)]
    case .tooOld:
      return [
        Check(
          name: "db server", status: .fail, detail: error.reason,
          fix: "upgrade MariaDB, or point database.url at a newer server")
      ]
    case .tls:
      return [
        reached,
        Check(
          name: "db tls", status: .fail, detail: error.reason,
          fix: mariadb.tlsCAFile == nil
            ? "check the server's TLS settings (ssl-cert, ssl-key in its my.cnf)"
            : "database.tls-ca-file must be the CA that signed the server's certificate, whose name must match "
              + "the host in database.url; the server needs ssl-cert and ssl-key set"),
      ]
    case .accessDenied:
      return [
        reached,
        Check(
          name: "db login", status: .fail, detail: error.reason,
          fix: "correct the user and password in database.url (mariadb://USER:PASSWORD@host:port/db), or "
            + "GRANT ALL ON \(mariadb.database).* TO '\(mariadb.user)'@'<this host>' on the server"),
      ]
    case .unknownDatabase:
      return [
        reached, loggedIn,
        Check(
          name: "database", status: .fail, detail: "MariaDB at \(server) has no database '\(mariadb.database)'",
          fix: "CREATE DATABASE \(mariadb.database) CHARACTER SET utf8mb4, or correct the name in database.url"),
      ]
    case .other:
      return [Check(name: "db server", status: .fail, detail: error.reason, fix: "check database.url")]
    }
  }

  /// Encryption as configured: with `database.tls-ca-file` the connection must be TLS (the driver refuses it
  /// otherwise, so this shows what was negotiated); without it, plain text is fine on this machine only.
  private static func tls(_ mariadb: MariaDBConfiguration, cipher: String, protocolVersion: String) -> Check {
    if let ca = mariadb.tlsCAFile {
      guard !cipher.isEmpty else {
        return Check(
          name: "db tls", status: .fail, detail: "database.tls-ca-file is set but the connection is not encrypted",
          fix: "enable TLS on the server (ssl-cert, ssl-key in its my.cnf)")
      }
      return Check(
        name: "db tls", status: .ok,
        detail: "\(protocolVersion) \(cipher), server certificate verified against \(ca)", fix: nil)
    }
    let local =
      switch mariadb.endpoint {
      case .socket: true
      case .tcp(let host, _): ["127.0.0.1", "::1", "localhost"].contains(host.lowercased())
      }
    let used = cipher.isEmpty ? "not encrypted" : "\(protocolVersion) \(cipher), server certificate not verified"
    if local {
      return Check(name: "db tls", status: .ok, detail: "\(used) (the server is on this machine)", fix: nil)
    }
    return Check(
      name: "db tls", status: .warn, detail: "\(used) across the network",
      fix: "set database.tls-ca-file to the CA that signed the server's certificate")
  }
}
