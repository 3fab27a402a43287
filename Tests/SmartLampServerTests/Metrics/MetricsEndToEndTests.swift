import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing

@testable import SmartLampServer

/// `/metrics` against real lamp control: a private Mosquitto, a Tasmota stand-in and the real server.
@Suite(.serialized) struct MetricsEndToEndTests {
  static let token = "end-to-end-metrics-token-42"

  static func scrape(_ env: LampEnv) async throws -> ParsedExposition {
    let reply = try await env.call(.get, "/metrics", token: token)
    guard reply.status == .ok else { throw HarnessError("GET /metrics answered \(reply.status)") }
    return try ParsedExposition(String(decoding: reply.raw, as: UTF8.self))
  }

  @Test func commandsBrokerDevicesAndStreamsShowUp() async throws {
    try await LampEnv.with({ $0.metricsToken = Self.token }) { env in
      try await env.createDevice("lamp-m")
      try await env.createDevice("lamp-absent")
      let lamp = try await env.startLamp("lamp-m")
      try await poll("lamp online") {
        try await env.call(.get, "/api/v1/devices/lamp-m/status").data?["online"]?.lampBool == true
      }
      let before = try await Self.scrape(env)
      #expect(before.value("smartlamp_mqtt_connected") == 1)
      #expect(before.value("smartlamp_mqtt_connections_total") >= 1)
      #expect(before.value("smartlamp_mqtt_messages_received_total") >= 1, "the LWT and state reports arrived")
      #expect(before.value("smartlamp_devices") == 2)
      #expect(before.value("smartlamp_devices_online") == 1)

      let reply = try await env.execute("lamp-m", "ON", requestID: "metrics-on-1")
      #expect(reply.data?["status"]?.string == "ACKED")
      let acked = ["status": "ACKED"]
      let userAcked = ["origin": "user", "status": "ACKED"]
      try await poll("ACKED outcome and audit row counted") {
        let now = try await Self.scrape(env)
        return now.value("smartlamp_command_outcomes_total", where: acked)
          == before.value("smartlamp_command_outcomes_total", where: acked) + 1
          && now.value("smartlamp_command_log_entries", where: userAcked)
            == before.value("smartlamp_command_log_entries", where: userAcked) + 1
      }
      let after = try await Self.scrape(env)
      #expect(
        after.value("smartlamp_command_ack_latency_seconds_count")
          == before.value("smartlamp_command_ack_latency_seconds_count") + 1)
      #expect(
        after.value("smartlamp_mqtt_messages_received_total")
          > before.value("smartlamp_mqtt_messages_received_total"), "the acknowledgement was received")
      #expect(after.value("smartlamp_command_outcomes_total", where: ["status": "TIMEOUT"]) == 0)

      try await lamp.publishRaw(topic: "stat/lamp-m/POWER", payload: "BLINK")
      try await poll("malformed payload counted") {
        try await Self.scrape(env).value("smartlamp_mqtt_malformed_payloads_total")
          == before.value("smartlamp_mqtt_malformed_payloads_total") + 1
      }

      let stream = try await SSEClient.open(port: env.port, token: env.adminToken)
      try await poll("stream counted") {
        try await Self.scrape(env).value("smartlamp_realtime_streams") == 1
      }
      await stream.close()
      try await poll("closed stream no longer counted") {
        try await Self.scrape(env).value("smartlamp_realtime_streams") == 0
      }
      // A clean disconnect sends no Will: announce what the broker would on a lost connection.
      try await lamp.publishRaw(topic: "tele/lamp-m/LWT", payload: "Offline")
      try await poll("lamp offline") {
        try await Self.scrape(env).value("smartlamp_devices_online") == 0
      }
      await lamp.stop()
    }
  }
}
