/// Percentiles and time conversions for the figures the bench prints.
enum Statistics {
  /// Nearest-rank percentile of `values` (p in 0…1); NaN for no values.
  static func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
  }

  static func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
  }

  static func seconds(_ duration: Duration) -> Double { milliseconds(duration) / 1000 }
}

/// One latency series, in milliseconds.
struct LatencySeries: Sendable {
  var values: [Double] = []

  var p50: Double { Statistics.percentile(values, 0.5) }
  var p99: Double { Statistics.percentile(values, 0.99) }
  var maximum: Double { values.max() ?? .nan }

  mutating func append(_ duration: Duration) { values.append(Statistics.milliseconds(duration)) }
}
