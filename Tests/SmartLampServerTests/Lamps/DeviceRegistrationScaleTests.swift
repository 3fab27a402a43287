import Foundation
import TestSupport
import Testing

@testable import SmartLampServer

/// Device changes cost O(1) (issue #10): registering through the API touches only the new device, and an open
/// realtime stream follows every change and stays open. Figures (time per device at 100 and 1 000 devices) are
/// printed, never asserted; `LampBench --phases registration` measures the release build up to 10 000.
@Suite(.serialized) struct DeviceRegistrationScaleTests {
  @Test func figuresForRegisteringAThousandDevicesWithAStreamOpen() async throws {
    try await LampEnv.with { env in
      let stream = try await SSEClient.open(port: env.port, token: env.adminToken)
      // Read as it arrives, as a dashboard would: (type, device) of every frame.
      let frames = Locked<[(type: String?, device: String?)]>([])
      let ended = Locked(false)
      let reader = Task {
        for await frame in stream.events { frames.withLock { $0.append((frame.type, frame.deviceId)) } }
        ended.withLock { $0 = true }
      }
      try await poll("hello") { frames.withLock { $0.contains { $0.type == "hello" } } }
      let clock = ContinuousClock()
      var durations: [Duration] = []
      for index in 1...1000 {
        let started = clock.now
        try await env.createDevice("scale-\(index)")
        durations.append(clock.now - started)
      }
      func mean(upTo mark: Int) -> Double {
        let window = durations[(mark - 100)..<mark]
        return window.reduce(Duration.zero, +) / window.count / .milliseconds(1)
      }
      print(
        "figures: device registration through the API with an admin stream open: "
          + String(format: "%.2f ms per device at 100, %.2f ms at 1 000", mean(upTo: 100), mean(upTo: 1000)))

      // The live table holds every device, and changes reach it one by one.
      let list = try await env.call(.get, "/api/v1/status")
      #expect(list.data?.lampArray?.count == 1000)
      let renamed = try await env.call(
        .patch, "/api/v1/devices/scale-500", json: #"{"commandChannel":"POWER2"}"#, idempotencyKey: "relay")
      #expect(renamed.status == 200, "\(renamed.body)")
      #expect(try await env.call(.delete, "/api/v1/devices/scale-7", idempotencyKey: "gone").status == 200)
      let lamp = try await env.startLamp("scale-500", relays: 2)
      #expect(try await env.execute("scale-500", "ON").data?["status"]?.string == "ACKED")
      #expect(lamp.isOn(relay: 2) && !lamp.isOn(relay: 1))
      #expect(try await env.execute("scale-7", "ON").status == 404)
      #expect(try await env.call(.get, "/api/v1/status").data?.lampArray?.count == 999)
      // The stream saw every new device (a fresh status for each) and the delete, and is still open.
      try await poll("a status for every new device", timeout: .seconds(30)) {
        let seen = frames.withLock { Set($0.filter { $0.type == "status" }.compactMap(\.device)) }
        return (1...1000).allSatisfy { seen.contains("scale-\($0)") }
      }
      let devicesFrames = frames.withLock { $0.filter { $0.type == "devices" }.count }
      _ = try await env.createDevice("scale-last")
      try await poll("a devices frame after the last change") {
        frames.withLock { $0.filter { $0.type == "devices" }.count } > devicesFrames
      }
      #expect(!ended.withLock { $0 })
      print("figures: \(frames.withLock { $0.count }) frames on the admin's stream, \(devicesFrames) of them devices")
      reader.cancel()
      await lamp.stop()
      await stream.close()
    }
  }
}
