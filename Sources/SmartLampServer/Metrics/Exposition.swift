import Foundation

/// One metric family as the Prometheus text format 0.0.4 writes it: a name, HELP, TYPE and its samples.
struct MetricFamily: Sendable, Equatable {
  enum Kind: String, Sendable { case counter, gauge, histogram }

  struct Sample: Sendable, Equatable {
    /// Appended to the family name: "" for counters and gauges, `_bucket`, `_sum`, `_count` for histograms.
    var suffix: String = ""
    var labels: [(name: String, value: String)] = []
    var value: Double

    static func == (lhs: Sample, rhs: Sample) -> Bool {
      lhs.suffix == rhs.suffix && lhs.value == rhs.value && lhs.labels.map(\.name) == rhs.labels.map(\.name)
        && lhs.labels.map(\.value) == rhs.labels.map(\.value)
    }
  }

  let name: String
  let help: String
  let kind: Kind
  var samples: [Sample]

  /// A counter or gauge family with one sample per entry of `series` (label values in `labelNames` order).
  static func simple(
    _ name: String, _ kind: Kind, help: String, labelNames: [String] = [], series: [([String], Double)]
  ) -> MetricFamily {
    MetricFamily(
      name: name, help: help, kind: kind,
      samples: series.map { values, value in
        Sample(labels: Array(zip(labelNames, values)).map { (name: $0.0, value: $0.1) }, value: value)
      })
  }

  /// A family with a single unlabelled sample.
  static func single(_ name: String, _ kind: Kind, help: String, _ value: Double) -> MetricFamily {
    simple(name, kind, help: help, series: [([], value)])
  }
}

/// Writes families in the Prometheus text exposition format, version 0.0.4.
enum Exposition {
  static let contentType = "text/plain; version=0.0.4; charset=utf-8"

  static func render(_ families: [MetricFamily]) -> String {
    var out = ""
    for family in families {
      out += "# HELP \(family.name) \(escapeHelp(family.help))\n"
      out += "# TYPE \(family.name) \(family.kind.rawValue)\n"
      for sample in family.samples {
        out += family.name + sample.suffix
        if !sample.labels.isEmpty {
          out += "{"
          out += sample.labels.map { "\($0.name)=\"\(escapeLabel($0.value))\"" }.joined(separator: ",")
          out += "}"
        }
        out += " " + format(sample.value) + "\n"
      }
    }
    return out
  }

  /// Label values escape backslash, double quote and line feed.
  static func escapeLabel(_ value: String) -> String {
    var out = ""
    for character in value.unicodeScalars {
      switch character {
      case "\\": out += "\\\\"
      case "\"": out += "\\\""
      case "\n": out += "\\n"
      default: out.unicodeScalars.append(character)
      }
    }
    return out
  }

  /// HELP text escapes backslash and line feed only.
  static func escapeHelp(_ value: String) -> String {
    value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
  }

  /// Whole numbers without a fraction, the special values as the format spells them, others shortest round-trip.
  static func format(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return "\(value)"
  }
}
