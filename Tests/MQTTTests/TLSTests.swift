import NIOCore
import TestSupport
import Testing

@testable import MQTT

/// TLS details against Mosquitto: certificate verification by IP and by host name, and mutual TLS.
@Suite("TLS", .timeLimit(.minutes(3)))
struct TLSTests {
  @Test("the broker certificate is verified: host name (SNI) and IP both work with the right CA")
  func verification() async throws {
    try await MosquittoBroker.with { broker in
      for url in [broker.url(.tls, host: "localhost"), broker.url(.webSocketTLS, host: "localhost"), broker.url(.tls)] {
        var configuration = try broker.configuration(.tls)
        configuration = try MQTTClientConfiguration(url: url, clientID: configuration.clientID)
        configuration.username = broker.username
        configuration.password = broker.password
        configuration.caFile = broker.caFile
        try await withClient(configuration) { client in #expect(client.state.isConnected) }
      }
    }
  }

  @Test(
    "a broker certificate from an unknown CA is rejected", arguments: [MosquittoBroker.Transport.tls, .webSocketTLS])
  func untrusted(transport: MosquittoBroker.Transport) async throws {
    try await MosquittoBroker.with { broker in
      var configuration = try broker.configuration(transport)
      configuration.caFile = nil  // system roots do not know the test CA
      let client = MQTTClient(configuration: configuration)
      await #expect {
        try await client.connect()
      } throws: { error in
        guard case .transportError(let detail) = error as? MQTTError else { return false }
        return detail.contains("CERTIFICATE_VERIFY_FAILED") || detail.lowercased().contains("certificate")
      }
      await client.disconnect()
    }
  }

  @Test("mutual TLS: a client certificate is presented when configured, and required by the listener")
  func clientCertificate() async throws {
    try await MosquittoBroker.with { broker in
      var configuration = try MQTTClientConfiguration(
        url: "mqtts://127.0.0.1:\(broker.mutualTLSPort)", clientID: "mtls")
      configuration.username = broker.username
      configuration.password = broker.password
      configuration.caFile = broker.caFile
      configuration.connectTimeout = .seconds(5)
      configuration.reconnect = .disabled
      let anonymous = MQTTClient(configuration: configuration)
      await #expect(throws: MQTTError.self) { try await anonymous.connect() }
      await anonymous.disconnect()

      configuration.clientCertificateFile = broker.certificates.clientCertificateFile
      configuration.clientKeyFile = broker.certificates.clientKeyFile
      try await withClient(configuration) { client in
        let topic = uniqueTopic("mtls")
        let inbox = Inbox(try await client.subscribe([topic]))
        try await client.publish(topic: topic, payload: "secure", qos: .atLeastOnce)
        try await inbox.wait { $0.payloadString == "secure" }
      }
    }
  }
}
