import CMariaDB
import Testing

/// Proves the system-library target links against Debian's Connector/C, so the MariaDB driver can build on it.
@Suite struct CMariaDBLinkTests {
  @Test func clientLibraryReportsItsVersion() {
    let version = String(cString: mysql_get_client_info())
    #expect(version.split(separator: ".").count >= 2)
    #expect(mysql_get_client_version() >= 30000)
  }
}
