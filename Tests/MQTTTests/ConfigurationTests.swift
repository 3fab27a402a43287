import Testing

@testable import MQTT

@Suite("Configuration")
struct ConfigurationTests {
  @Test("URLs parse into host, port and transport")
  func urls() throws {
    let tcp = try MQTTClientConfiguration(url: "mqtt://broker.local", clientID: "c")
    #expect(tcp.host == "broker.local" && tcp.port == 1883 && tcp.transport == .tcp)
    let tls = try MQTTClientConfiguration(url: "mqtts://10.0.0.2:9883", clientID: "c")
    #expect(tls.host == "10.0.0.2" && tls.port == 9883 && tls.transport == .tls)
    let ws = try MQTTClientConfiguration(url: "ws://h:8080", clientID: "c")
    #expect(ws.port == 8080 && ws.transport == .webSocket(path: "/mqtt"))
    let wss = try MQTTClientConfiguration(url: "wss://h/custom/path", clientID: "c")
    #expect(wss.port == 443 && wss.transport == .webSocketTLS(path: "/custom/path"))
    let v6 = try MQTTClientConfiguration(url: "mqtt://[::1]:1884", clientID: "c")
    #expect(v6.host == "::1" && v6.port == 1884)
    let auth = try MQTTClientConfiguration(url: "mqtt://lamp:secret@h", clientID: "c")
    #expect(auth.username == "lamp" && auth.password == "secret" && auth.host == "h")
    #expect(try MQTTClientConfiguration(url: "ws://h", clientID: "c").port == 80)
    #expect(try MQTTClientConfiguration(url: "mqtts://h", clientID: "c").port == 8883)
  }

  @Test(
    "bad URLs are MQTTError.invalidURL",
    arguments: [
      "broker", "http://h", "mqtt://", "mqtt://h:0", "mqtt://h:70000", "mqtt://h:x", "mqtt://h/path", "mqtt://[::1",
    ])
  func badURLs(url: String) {
    #expect {
      _ = try MQTTClientConfiguration(url: url, clientID: "c")
    } throws: { error in
      if case .invalidURL = error as? MQTTError { return true }
      return false
    }
  }

  @Test("defaults match the documented ones")
  func defaults() throws {
    let configuration = try MQTTClientConfiguration(url: "mqtt://h", clientID: "c")
    #expect(configuration.keepAlive == .seconds(30))
    #expect(configuration.cleanSession)
    #expect(configuration.connectTimeout == .seconds(10))
    #expect(configuration.ackTimeout == .seconds(5))
    #expect(configuration.reconnect == MQTTBackoff(initial: .milliseconds(500), maximum: .seconds(30), jitter: 0.2))
  }

  @Test("backoff doubles up to the maximum, within the jitter band")
  func backoff() {
    let backoff = MQTTBackoff(initial: .milliseconds(500), maximum: .seconds(30), jitter: 0.2)
    for (attempt, nominal) in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (6, 30.0), (40, 30.0)] {
      let seconds = backoff.delay(attempt: attempt) / .seconds(1)
      #expect(seconds >= nominal * 0.8 - 1e-9 && seconds <= nominal * 1.2 + 1e-9, "attempt \(attempt): \(seconds)")
    }
    let exact = MQTTBackoff(initial: .seconds(1), maximum: .seconds(4), jitter: 0)
    #expect((0..<4).map { exact.delay(attempt: $0) } == [.seconds(1), .seconds(2), .seconds(4), .seconds(4)])
    #expect(!MQTTBackoff.disabled.isEnabled)
  }
}
