import Foundation

/// A strict reader of the Prometheus text format 0.0.4, for checking what `/metrics` serves.
struct ParsedExposition {
  struct Family {
    var help: String?
    var type: String?
    var samples: [Sample] = []
  }

  struct Sample: Equatable {
    var name: String
    var labels: [String: String]
    var value: Double
  }

  struct Problem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
  }

  private(set) var families: [String: Family] = [:]
  private(set) var order: [String] = []

  init(_ text: String) throws {
    guard text.hasSuffix("\n") else { throw Problem("the text must end with a line feed") }
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
      try read(String(line))
    }
    for name in order {
      guard let family = families[name], family.help != nil, family.type != nil else {
        throw Problem("\(name) lacks HELP or TYPE")
      }
      if family.type == "histogram" { try Self.checkHistogram(name, family) }
    }
  }

  private mutating func read(_ line: String) throws {
    if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
      let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
      let name = String(parts[0])
      guard Self.isMetricName(name) else { throw Problem("bad metric name in: \(line)") }
      if families[name] == nil {
        families[name] = Family()
        order.append(name)
      }
      let rest = parts.count > 1 ? String(parts[1]) : ""
      if line.hasPrefix("# HELP ") {
        guard families[name]?.help == nil else { throw Problem("second HELP for \(name)") }
        families[name]?.help = rest
      } else {
        guard families[name]?.type == nil, families[name]?.samples.isEmpty == true else {
          throw Problem("TYPE for \(name) repeated or after its samples")
        }
        guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(rest) else {
          throw Problem("unknown type in: \(line)")
        }
        families[name]?.type = rest
      }
      return
    }
    guard !line.isEmpty, !line.hasPrefix("#") else { return }
    let sample = try Self.sample(line)
    guard let family = owner(of: sample.name) else { throw Problem("sample of an undeclared family: \(line)") }
    families[family]?.samples.append(sample)
  }

  /// The declared family a sample name belongs to (histograms own `_bucket`, `_sum` and `_count`).
  private func owner(of name: String) -> String? {
    if let family = families[name], family.type != "histogram" { return name }
    for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
      let base = String(name.dropLast(suffix.count))
      if families[base]?.type == "histogram" { return base }
    }
    return nil
  }

  static func isMetricName(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, first == "_" || first == ":" || first.properties.isAlphabetic
    else { return false }
    return name.unicodeScalars.allSatisfy {
      $0.isASCII && ($0 == "_" || $0 == ":" || $0.properties.isAlphabetic || ("0"..."9").contains($0))
    }
  }

  static func sample(_ line: String) throws -> Sample {
    let scalars = Array(line.unicodeScalars)
    var index = 0
    var name = ""
    while index < scalars.count, scalars[index] != "{", scalars[index] != " " {
      name.unicodeScalars.append(scalars[index])
      index += 1
    }
    guard isMetricName(name) else { throw Problem("bad sample name in: \(line)") }
    var labels: [String: String] = [:]
    if index < scalars.count, scalars[index] == "{" {
      index += 1
      while index < scalars.count, scalars[index] != "}" {
        var label = ""
        while index < scalars.count, scalars[index] != "=" {
          label.unicodeScalars.append(scalars[index])
          index += 1
        }
        guard isMetricName(label), index + 1 < scalars.count, scalars[index + 1] == "\"" else {
          throw Problem("bad label in: \(line)")
        }
        index += 2
        var value = ""
        while index < scalars.count, scalars[index] != "\"" {
          if scalars[index] == "\\" {
            guard index + 1 < scalars.count else { throw Problem("dangling escape in: \(line)") }
            switch scalars[index + 1] {
            case "\\": value += "\\"
            case "\"": value += "\""
            case "n": value += "\n"
            default: throw Problem("bad escape in: \(line)")
            }
            index += 2
          } else {
            value.unicodeScalars.append(scalars[index])
            index += 1
          }
        }
        guard index < scalars.count, labels[label] == nil else { throw Problem("bad label value in: \(line)") }
        labels[label] = value
        index += 1
        if index < scalars.count, scalars[index] == "," { index += 1 }
      }
      guard index < scalars.count else { throw Problem("unclosed labels in: \(line)") }
      index += 1
    }
    guard index < scalars.count, scalars[index] == " " else { throw Problem("no value in: \(line)") }
    let valueText = String(String.UnicodeScalarView(scalars[(index + 1)...]))
    guard let value = parseValue(valueText) else { throw Problem("bad value in: \(line)") }
    return Sample(name: name, labels: labels, value: value)
  }

  static func parseValue(_ text: String) -> Double? {
    switch text {
    case "+Inf": return .infinity
    case "-Inf": return -.infinity
    case "NaN": return .nan
    default: return Double(text)
    }
  }

  /// Per label set: buckets ascending and cumulative, the last `+Inf`, and `_count` equal to it, `_sum` present.
  static func checkHistogram(_ name: String, _ family: Family) throws {
    var groups: [[String: String]: (buckets: [(Double, Double)], sum: Double?, count: Double?)] = [:]
    for sample in family.samples {
      var key = sample.labels
      if sample.name == name + "_bucket" {
        guard let le = key.removeValue(forKey: "le"), let bound = parseValue(le) else {
          throw Problem("\(name) bucket without le")
        }
        groups[key, default: ([], nil, nil)].buckets.append((bound, sample.value))
      } else if sample.name == name + "_sum" {
        groups[key, default: ([], nil, nil)].sum = sample.value
      } else if sample.name == name + "_count" {
        groups[key, default: ([], nil, nil)].count = sample.value
      }
    }
    for (labels, group) in groups {
      guard let last = group.buckets.last, last.0 == .infinity else { throw Problem("\(name)\(labels) lacks +Inf") }
      for (previous, next) in zip(group.buckets, group.buckets.dropFirst()) {
        guard previous.0 < next.0, previous.1 <= next.1 else { throw Problem("\(name)\(labels) not cumulative") }
      }
      guard group.sum != nil, group.count == last.1 else { throw Problem("\(name)\(labels) _sum/_count wrong") }
    }
  }

  func family(_ name: String) -> Family? { families[name] }

  /// The samples named `name` whose labels include `labels`.
  func samples(_ name: String, where labels: [String: String] = [:]) -> [Sample] {
    families.values.flatMap(\.samples).filter { sample in
      sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
    }
  }

  /// The sum of the matching samples (0 when none).
  func value(_ name: String, where labels: [String: String] = [:]) -> Double {
    samples(name, where: labels).reduce(0) { $0 + $1.value }
  }
}
