// Parsing of one cron field into bit sets. Works on UTF-8 bytes so any input is handled without crashing; every
// rejection names the field, the offending part and why.

/// One of the six cron fields, with its accepted values.
struct CronFieldSpec: Sendable {
  enum Kind: Sendable { case second, minute, hour, dayOfMonth, month, dayOfWeek }

  let kind: Kind
  let name: String
  /// Values accepted in the text (day-of-week accepts 7 for Sunday).
  let accepted: ClosedRange<Int>
  /// What `*` stands for.
  let wildcard: ClosedRange<Int>
  let names: [String: Int]

  static let second = CronFieldSpec(kind: .second, name: "second", accepted: 0...59, wildcard: 0...59, names: [:])
  static let minute = CronFieldSpec(kind: .minute, name: "minute", accepted: 0...59, wildcard: 0...59, names: [:])
  static let hour = CronFieldSpec(kind: .hour, name: "hour", accepted: 0...23, wildcard: 0...23, names: [:])
  static let dayOfMonth = CronFieldSpec(
    kind: .dayOfMonth, name: "day-of-month", accepted: 1...31, wildcard: 1...31, names: [:])
  static let month = CronFieldSpec(
    kind: .month, name: "month", accepted: 1...12, wildcard: 1...12,
    names: [
      "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
      "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
    ])
  static let dayOfWeek = CronFieldSpec(
    kind: .dayOfWeek, name: "day-of-week", accepted: 0...7, wildcard: 0...6,
    names: ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6])

  static func bits(_ range: ClosedRange<Int>) -> UInt64 {
    range.reduce(0) { $0 | (1 << UInt64($1)) }
  }

  var isDayField: Bool { kind == .dayOfMonth || kind == .dayOfWeek }
  var rangeText: String { "\(accepted.lowerBound)–\(accepted.upperBound)" }
}

/// The value sets of one parsed field.
struct CronFieldValues: Sendable, Hashable {
  var bits: UInt64 = 0
  /// `L` in day-of-month.
  var lastDay = false
  /// `<d>L` in day-of-week: bit d.
  var lastWeekdays: UInt64 = 0
  /// `<d>#<n>` in day-of-week: bit d·8+n.
  var nthWeekdays: UInt64 = 0
}

struct CronFieldParser {
  let spec: CronFieldSpec

  func parse(_ text: Substring) throws(CronError) -> CronFieldValues {
    var values = CronFieldValues()
    let bytes = Array(text.utf8)
    for item in bytes.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
      try parseItem(Array(item), whole: text, into: &values)
    }
    return values
  }

  private func fail(_ value: some Sequence<UInt8>, _ reason: String) -> CronError {
    .invalidField(name: spec.name, value: String(decoding: Array(value), as: UTF8.self), reason: reason)
  }

  private func parseItem(_ item: [UInt8], whole: Substring, into values: inout CronFieldValues) throws(CronError) {
    guard !item.isEmpty else { throw fail(whole.utf8, "empty list item") }
    let star = UInt8(ascii: "*")
    let question = UInt8(ascii: "?")
    let slash = UInt8(ascii: "/")

    if item == [question] {
      guard spec.isDayField else { throw fail(item, "'?' is only allowed in day-of-month and day-of-week") }
      values.bits |= CronFieldSpec.bits(spec.wildcard)
      return
    }
    if isLetterL(item) {
      guard spec.kind == .dayOfMonth else {
        throw fail(item, "'L' alone is only allowed in day-of-month; day-of-week takes <weekday>L, e.g. 5L")
      }
      values.lastDay = true
      return
    }
    if spec.kind == .dayOfWeek, let hash = item.firstIndex(of: UInt8(ascii: "#")) {
      let weekday = try value(item[..<hash], in: item)
      guard let nth = number(item[(hash + 1)...]), (1...5).contains(nth) else {
        throw fail(item, "occurrence after '#' must be 1–5")
      }
      values.nthWeekdays |= 1 << UInt64((weekday % 7) * 8 + nth)
      return
    }
    if spec.kind == .dayOfWeek, item.count > 1, let last = item.last, isLetterL([last]) {
      let weekday = try value(item[..<(item.count - 1)], in: item)
      values.lastWeekdays |= 1 << UInt64(weekday % 7)
      return
    }
    if item.contains(UInt8(ascii: "#")) {
      throw fail(item, "'#' is only allowed in day-of-week")
    }

    let parts = item.split(separator: slash, maxSplits: 2, omittingEmptySubsequences: false)
    guard parts.count <= 2 else { throw fail(item, "more than one '/'") }
    var step = 1
    if parts.count == 2 {
      let width = spec.wildcard.count
      guard let parsed = number(parts[1]), (1...width).contains(parsed) else {
        throw fail(item, "step must be a number 1–\(width)")
      }
      step = parsed
    }
    let base = parts[0]
    let low: Int
    let high: Int
    if base.elementsEqual([star]) {
      low = spec.wildcard.lowerBound
      high = spec.wildcard.upperBound
    } else if let dash = base.firstIndex(of: UInt8(ascii: "-")) {
      low = try value(base[base.startIndex..<dash], in: item)
      let end = try value(base[(dash + 1)...], in: item)
      // `fri-sun` ends on Sunday written as 0: read it as 7.
      high = spec.kind == .dayOfWeek && end == 0 && low > 0 ? 7 : end
      guard low <= high else { throw fail(item, "range start is greater than its end") }
    } else {
      low = try value(base, in: item)
      // `5/15` means from 5 to the end of the field.
      high = parts.count == 2 ? max(low, spec.wildcard.upperBound) : low
    }
    var current = low
    while current <= high {
      values.bits |= 1 << UInt64(spec.kind == .dayOfWeek ? current % 7 : current)
      current += step
    }
  }

  private func isLetterL(_ bytes: [UInt8]) -> Bool {
    bytes == [UInt8(ascii: "L")] || bytes == [UInt8(ascii: "l")]
  }

  /// A decimal number of at most 4 digits (longer ones are out of range anyway and must not overflow).
  private func number(_ bytes: ArraySlice<UInt8>) -> Int? {
    guard !bytes.isEmpty, bytes.count <= 4 else { return nil }
    var result = 0
    for byte in bytes {
      guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
      result = result * 10 + Int(byte - UInt8(ascii: "0"))
    }
    return result
  }

  private func value(_ bytes: ArraySlice<UInt8>, in item: [UInt8]) throws(CronError) -> Int {
    guard !bytes.isEmpty else { throw fail(item, "missing value") }
    let first = bytes[bytes.startIndex]
    if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) {
      guard bytes.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
        throw fail(item, "not a number")
      }
      guard let parsed = number(bytes), spec.accepted.contains(parsed) else {
        throw fail(bytes, "out of range \(spec.rangeText)")
      }
      return parsed
    }
    let lowered = String(decoding: bytes, as: UTF8.self).lowercased()
    if let named = spec.names[lowered] { return named }
    throw fail(bytes, spec.names.isEmpty ? "not a number" : "not a number or a known \(spec.name) name")
  }
}
