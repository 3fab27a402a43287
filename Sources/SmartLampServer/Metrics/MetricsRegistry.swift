import Synchronization

/// A counter with labels, kept in process. Label values must come from bounded sets (route patterns, enum cases):
/// every distinct combination stays in memory for the life of the process.
final class LabelledCounter: Sendable {
  let name: String
  let help: String
  let labelNames: [String]
  private let values = Mutex<[[String]: Double]>([:])

  init(_ name: String, help: String, labelNames: [String]) {
    self.name = name
    self.help = help
    self.labelNames = labelNames
  }

  func increment(_ labelValues: [String], by amount: Double = 1) {
    guard labelValues.count == labelNames.count, amount >= 0 else { return }
    values.withLock { $0[labelValues, default: 0] += amount }
  }

  func value(_ labelValues: [String]) -> Double { values.withLock { $0[labelValues] ?? 0 } }

  /// Series in a stable order (by label values), so scrapes are easy to compare.
  var family: MetricFamily {
    let series = values.withLock { $0 }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
    return .simple(name, .counter, help: help, labelNames: labelNames, series: series.map { ($0.key, $0.value) })
  }
}

/// A histogram with labels and fixed upper bounds (seconds), kept in process.
final class LabelledHistogram: Sendable {
  let name: String
  let help: String
  let labelNames: [String]
  /// Ascending upper bounds; `+Inf` is implied.
  let bounds: [Double]

  private struct Series {
    /// Per bucket (not cumulative), plus one for `+Inf`.
    var counts: [UInt64]
    var sum: Double = 0
  }

  private let series = Mutex<[[String]: Series]>([:])

  init(_ name: String, help: String, labelNames: [String], bounds: [Double]) {
    self.name = name
    self.help = help
    self.labelNames = labelNames
    self.bounds = bounds.filter(\.isFinite).sorted()
  }

  func observe(_ value: Double, _ labelValues: [String] = []) {
    guard labelValues.count == labelNames.count, value.isFinite else { return }
    let index = bounds.firstIndex { value <= $0 } ?? bounds.count
    let buckets = bounds.count + 1
    series.withLock { all in
      all[labelValues, default: Series(counts: Array(repeating: 0, count: buckets))].counts[index] += 1
      all[labelValues]?.sum += value
    }
  }

  /// How many observations a series holds.
  func count(_ labelValues: [String] = []) -> UInt64 {
    series.withLock { $0[labelValues]?.counts.reduce(0, +) ?? 0 }
  }

  /// The `q` quantile (0…1) of a series estimated from its buckets as Prometheus' `histogram_quantile` does
  /// (linear inside the bucket, from 0 for the first; an observation above the last bound reports that bound); nil
  /// without observations.
  func quantile(_ q: Double, _ labelValues: [String] = []) -> Double? {
    guard let counts = series.withLock({ $0[labelValues]?.counts }) else { return nil }
    let total = counts.reduce(0, +)
    guard total > 0, !bounds.isEmpty else { return nil }
    let rank = min(max(q, 0), 1) * Double(total)
    var cumulative: UInt64 = 0
    for (index, count) in counts.enumerated() {
      let below = cumulative
      cumulative += count
      guard Double(cumulative) >= rank, count > 0 else { continue }
      guard index < bounds.count else { return bounds[bounds.count - 1] }
      let lower = index == 0 ? 0 : bounds[index - 1]
      return lower + (bounds[index] - lower) * (rank - Double(below)) / Double(count)
    }
    return bounds.last
  }

  var family: MetricFamily {
    let all = series.withLock { $0 }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
    var samples: [MetricFamily.Sample] = []
    for (values, series) in all {
      let labels = Array(zip(labelNames, values)).map { (name: $0.0, value: $0.1) }
      var cumulative: UInt64 = 0
      for (index, bound) in (bounds + [Double.infinity]).enumerated() {
        cumulative += series.counts[index]
        samples.append(
          .init(
            suffix: "_bucket", labels: labels + [(name: "le", value: Exposition.format(bound))],
            value: Double(cumulative)))
      }
      samples.append(.init(suffix: "_sum", labels: labels, value: series.sum))
      samples.append(.init(suffix: "_count", labels: labels, value: Double(cumulative)))
    }
    return MetricFamily(name: name, help: help, kind: .histogram, samples: samples)
  }
}

extension Duration {
  /// The duration in seconds, as metrics report time.
  var metricSeconds: Double {
    Double(components.seconds) + Double(components.attoseconds) / 1e18
  }
}
