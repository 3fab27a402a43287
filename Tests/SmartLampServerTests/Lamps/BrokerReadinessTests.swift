import Foundation
import HTTPTypes
import MQTT
import ServerTestSupport
import TestSupport
import Testing

@testable import SmartLampServer

/// Readiness reports subscriptions the broker refuses (CONTRACT §10), through a real Mosquitto whose dynamic
/// security plugin answers SUBACK 0x80 for denied filters (its plain `acl_file` never refuses at SUBACK).
@Suite(.serialized)
struct BrokerReadinessTests {
  static let adminEmail = Accounts.adminEmail
  static let adminPassword = Accounts.adminPassword

  static func brokerCheck(_ reply: Reply) -> String? {
    reply.body["error"]?["details"]?["checks"]?["broker"]?["error"]?.string
  }

  /// Two refused filters (`stat/+/+` and the discovery configs): readiness is 503 naming both while the accepted
  /// filters keep delivering; once the ACL is fixed on the running broker, the server subscribes them, answers
  /// 200, and their messages arrive.
  @Test func refusedSubscriptionsFailReadinessUntilTheACLIsFixed() async throws {
    try await MosquittoBroker.with(deniedSubscriptions: ["stat/#", "tasmota/discovery/#"]) { broker in
      let server = TestServer { configuration in
        configuration.mqttURL = broker.url(.tcp)
        configuration.mqttUsername = broker.username
        configuration.mqttPassword = broker.password
        configuration.adminEmail = Self.adminEmail
        configuration.adminPassword = Self.adminPassword
      }
      try await server.run(.live) { client in
        let port = try #require(client.port)
        var last: Reply?
        try await poll("readiness names both refused filters", timeout: .seconds(20)) {
          let reply = try await LampEnv.call(port: port, .get, "/api/v1/health/ready")
          last = reply
          let check = Self.brokerCheck(reply) ?? ""
          return reply.status == 503 && check.contains("stat/+/+") && check.contains("tasmota/discovery/+/config")
        }
        #expect(last?.code == "NOT_READY")
        #expect(Self.brokerCheck(try #require(last))?.hasPrefix("subscription refused: ") == true)

        let token = try await LampEnv.login(port: port, email: Self.adminEmail, password: Self.adminPassword)
        var headers = HTTPFields()
        headers[HTTPField.Name("Idempotency-Key")!] = "create-acl-lamp"
        let created = try await LampEnv.call(
          port: port, .post, "/api/v1/devices", json: "{\"deviceId\":\"acl-lamp\",\"name\":\"ACL lamp\"}",
          token: token, headers: headers)
        #expect(created.status == 201)

        var configuration = try MQTTClientConfiguration(url: broker.url(.tcp), clientID: "acl-device")
        configuration.username = broker.username
        configuration.password = broker.password
        let device = MQTTClient(configuration: configuration)
        try await device.connect()
        // An accepted filter (tele/+/+) still delivers while others are refused.
        try await poll("a STATE report on an accepted filter applies", timeout: .seconds(10)) {
          try await device.publish(topic: "tele/acl-lamp/STATE", payload: "{\"POWER\":\"ON\"}")
          let status = try await LampEnv.call(port: port, .get, "/api/v1/devices/acl-lamp/status", token: token)
          return status.data?["power"]?.string == "ON"
        }

        try await broker.allowSubscriptions(["stat/#", "tasmota/discovery/#"])
        try await poll("readiness recovers once the broker accepts", timeout: .seconds(40)) {
          try await LampEnv.call(port: port, .get, "/api/v1/health/ready").status == 200
        }
        // The late subscription delivers: a stat report now reaches the device state.
        try await poll("a stat report applies after the fix", timeout: .seconds(10)) {
          try await device.publish(topic: "stat/acl-lamp/POWER", payload: "OFF")
          let status = try await LampEnv.call(port: port, .get, "/api/v1/devices/acl-lamp/status", token: token)
          return status.data?["power"]?.string == "OFF"
        }
        await device.disconnect()
      }
    }
  }
}
