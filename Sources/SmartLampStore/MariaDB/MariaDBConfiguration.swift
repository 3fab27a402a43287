/// Where and how to reach a MariaDB server. Built from `database.url` (`mariadb://user:pass@host:port/db`, or
/// `mariadb://user:pass@localhost/db?socket=/run/mysqld/mysqld.sock` for a Unix socket) and `database.tls-ca-file`.
public struct MariaDBConfiguration: Sendable, Hashable {
  public enum Endpoint: Sendable, Hashable {
    case tcp(host: String, port: Int)
    case socket(path: String)
  }

  public var endpoint: Endpoint
  public var user: String
  public var password: String
  public var database: String
  /// PEM file of the CA that signed the server's certificate: TLS is required and the server's name is verified.
  public var tlsCAFile: String?
  /// At most this many connections (and threads running their blocking calls).
  public var poolSize: Int
  public var connectTimeoutSeconds: Int
  /// Oldest server accepted (`mysql_get_server_version` form: 10.5.0 = 100500): RETURNING and the JSON and
  /// window functions the store may use arrived by then.
  public static let minimumServerVersion = 100_500

  public init(
    endpoint: Endpoint, user: String, password: String, database: String, tlsCAFile: String? = nil,
    poolSize: Int = 8, connectTimeoutSeconds: Int = 5
  ) {
    self.endpoint = endpoint
    self.user = user
    self.password = password
    self.database = database
    self.tlsCAFile = tlsCAFile
    self.poolSize = max(1, poolSize)
    self.connectTimeoutSeconds = max(1, connectTimeoutSeconds)
  }

  /// `host:port` or the socket path, for messages (never the password).
  public var location: String {
    switch endpoint {
    case .tcp(let host, let port): "\(host):\(port)/\(database)"
    case .socket(let path): "\(path) (\(database))"
    }
  }
}
