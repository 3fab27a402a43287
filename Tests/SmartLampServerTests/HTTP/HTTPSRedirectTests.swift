import Testing

@testable import SmartLampServer

/// Where the plain-HTTP listener sends a browser: the same host and path on HTTPS, never anywhere a crafted Host
/// header or path could point.
@Suite struct HTTPSRedirectTests {
  @Test(arguments: [
    ("lampu.local", "/lamps?room=dapur", 8443, "https://lampu.local:8443/lamps?room=dapur"),
    ("lampu.local:80", "/", 443, "https://lampu.local/"),
    ("192.168.1.10:8080", "/api/health", 443, "https://192.168.1.10/api/health"),
    ("[fe80::1]:80", "/x", 8443, "https://[fe80::1]:8443/x"),
    ("lampu.local", "//evil.example/", 443, "https://lampu.local/"),
  ])
  func redirectsToTheSamePlaceOverHTTPS(host: String, path: String, port: Int, expected: String) {
    #expect(HTTPSRedirect.location(host: host, path: path, httpsPort: port) == expected)
  }

  @Test(arguments: [nil, "", "evil.example\r\nSet-Cookie: a=b", "a b", "[fe80::1"])
  func refusesHostsThatAreNotPlainNames(host: String?) {
    #expect(HTTPSRedirect.location(host: host, path: "/", httpsPort: 443) == nil)
  }
}
