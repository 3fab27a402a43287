/// Command acknowledgements seen by this process (fed where ``CommandService`` records each outcome).
final class CommandOutcomeMetrics: Sendable {
  let ackLatency = LabelledHistogram(
    "smartlamp_command_ack_latency_seconds",
    help: "Time from publishing a command to the device's acknowledgement (acknowledged commands only)",
    labelNames: [], bounds: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])
  let outcomes = LabelledCounter(
    "smartlamp_command_outcomes_total",
    help: "Acknowledgement outcomes of commands published by this instance (ACKED, TIMEOUT, REFUSED)",
    labelNames: ["status"])

  func record(_ outcome: CommandOutcome) {
    switch outcome {
    case .acked(_, let latencyMs):
      outcomes.increment(["ACKED"])
      ackLatency.observe(Double(max(latencyMs, 0)) / 1000)
    case .timeout:
      outcomes.increment(["TIMEOUT"])
    case .refused:
      outcomes.increment(["REFUSED"])
    }
  }
}
