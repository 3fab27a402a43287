import DeviceSimulator

/// Device registration at scale (issue #10): `POST /api/v1/devices` one after the other as the admin, timing each,
/// and reporting the mean time per device around 100, 1 000 and 10 000 registered devices. A change must cost the
/// same however many devices exist (before the fix, every change reloaded every device: 28 ms each at 5 000).
/// The ids are the simulated fleet's, so the later phases find their devices registered (their own registration
/// is then a replay) and the server holds as many devices as the fleet, not twice as many.
enum Registration {
  struct Result: Sendable {
    /// (devices registered so far, mean milliseconds per registration over the 100 before it).
    var marks: [(count: Int, msPerDevice: Double)] = []
    var total: Duration = .zero
    var devices = 0
  }

  static let marks = [100, 1_000, 10_000]

  static func run(_ context: BenchContext, devices: Int) async throws -> Result {
    let clock = ContinuousClock()
    var durations: [Duration] = []
    durations.reserveCapacity(devices)
    let started = clock.now
    for index in 1...devices {
      let id = SimulatedDeviceConfiguration(index: index, prefix: "fleet").topic
      let begin = clock.now
      try await context.createDevice(id)
      durations.append(clock.now - begin)
    }
    var result = Result(total: clock.now - started, devices: devices)
    for mark in marks where mark <= devices {
      let window = durations[(mark - min(100, mark))..<mark]
      let mean = window.reduce(Duration.zero, +) / window.count
      result.marks.append((mark, mean / .milliseconds(1)))
    }
    return result
  }

  static func print(_ result: Result) {
    guard result.devices > 0 else { return }
    Swift.print("device registration through the API (POST /api/v1/devices, one after the other):")
    for mark in result.marks {
      Swift.print("  at \(mark.count) devices: \(String(format: "%.2f", mark.msPerDevice)) ms per device")
    }
    Swift.print("  \(result.devices) devices registered in \(result.total)")
  }
}
