/// Faults a simulated device injects into its command replies.
public struct FaultPolicy: Sendable, Hashable {
  /// Delay between receiving a command and publishing its replies.
  public var latency: Duration
  /// Probability (0 … 1) that a command's replies are never sent. The command still takes effect, as when a
  /// QoS 0 reply is lost on the way back.
  public var dropRate: Double
  /// Seed of the drop decisions, so a run (and a test) is reproducible.
  public var seed: UInt64

  public init(latency: Duration = .zero, dropRate: Double = 0, seed: UInt64 = 0x534D_4C41_4D50) {
    self.latency = latency < .zero ? .zero : latency
    self.dropRate = dropRate.isNaN ? 0 : min(max(dropRate, 0), 1)
    self.seed = seed
  }
}

/// The per-device sequence of drop decisions: a seeded SplitMix64 stream, one draw per handled command.
public struct FaultInjector: Sendable {
  public private(set) var policy: FaultPolicy
  private var generator: SplitMix64

  /// The decision stream of one device: the policy's seed salted with the device's MAC, so devices sharing a
  /// policy still drop independently.
  public init(policy: FaultPolicy, device: SimulatedDeviceConfiguration) {
    self.init(policy: policy, deviceSalt: device.faultSalt)
  }

  public init(policy: FaultPolicy, deviceSalt: UInt64 = 0) {
    self.policy = policy
    generator = SplitMix64(seed: policy.seed ^ deviceSalt)
  }

  /// Whether to drop the next command's replies. Rates of exactly 0 and 1 never draw.
  public mutating func shouldDrop() -> Bool {
    if policy.dropRate <= 0 { return false }
    if policy.dropRate >= 1 { return true }
    return Double(generator.next() >> 11) * 0x1p-53 < policy.dropRate
  }

  /// Replaces the policy and restarts the decision stream from its seed.
  public mutating func update(_ policy: FaultPolicy, deviceSalt: UInt64 = 0) {
    self = FaultInjector(policy: policy, deviceSalt: deviceSalt)
  }
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough for fault decisions.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
