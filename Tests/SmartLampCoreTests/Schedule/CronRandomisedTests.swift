import Foundation
import TestSupport
import Testing

@testable import SmartLampCore

/// Randomised checks with a fixed seed: arbitrary input never crashes the parser or the search, and random valid
/// expressions agree with a slow reference that walks days with Foundation's Calendar.
@Suite struct CronRandomisedTests {
  @Test func arbitraryInputNeverCrashes() {
    var random = SplitMix64(seed: 20_262)
    let alphabet = Array("0123456789012345*****,,,---///??##LLlW  \t@janfebsunmonxyzH%٣é🙂\u{0}\n")
    let seeds = ["* * * * *", "0 8 * * 1-5", "*/5 0-12 1,15,L * ?", "0 0 9 ? jan-mar mon#2", "1-59/2 * * * * 5L"]
    let newYork = zone("America/New_York")
    var parsed = 0
    for iteration in 0..<20_000 {
      var characters: [Character]
      if iteration % 2 == 0 {
        // Mutations of valid expressions reach deep into the field parser.
        characters = Array(seeds.randomElement(using: &random)!)
        for _ in 0..<Int.random(in: 1...3, using: &random) {
          let position = Int.random(in: 0...characters.count, using: &random)
          switch Int.random(in: 0..<3, using: &random) {
          case 0: characters.insert(alphabet.randomElement(using: &random)!, at: position)
          case 1: if position < characters.count { characters[position] = alphabet.randomElement(using: &random)! }
          default: if position < characters.count { characters.remove(at: position) }
          }
        }
      } else {
        let length =
          iteration % 101 == 0 ? Int.random(in: 250...300, using: &random) : Int.random(in: 0...30, using: &random)
        characters = (0..<length).map { _ in alphabet.randomElement(using: &random)! }
      }
      let text = String(characters)
      guard let expression = try? CronExpression(parsing: text) else { continue }
      parsed += 1
      let from = Date(timeIntervalSince1970: Double(Int64.random(in: 0...4_000_000_000, using: &random)) / 2)
      for zone in [utc, newYork] {
        guard let next = expression.nextOccurrence(after: from, in: zone) else { continue }
        #expect(next > from, "\(text)")
      }
      if let next = expression.nextOccurrence(after: from, in: utc) {
        #expect(expression.matches(wall: Int64(next.timeIntervalSince1970)), "\(text)")
      }
    }
    #expect(parsed > 500)
  }

  @Test func randomExpressionsAgreeWithAReference() throws {
    var random = SplitMix64(seed: 7)
    var compared = 0
    for _ in 0..<300 {
      let reference = ReferenceCron.random(using: &random)
      let expression = try CronExpression(parsing: reference.text)
      var cursor = Date(timeIntervalSince1970: Double(Int64.random(in: 1_577_836_800...2_051_222_400, using: &random)))
      for _ in 0..<3 {
        let expected = reference.next(after: cursor)
        let got = expression.nextOccurrence(after: cursor, in: utc)
        if let expected {
          #expect(got == expected, "\(reference.text) after \(cursor)")
          compared += 1
        } else {
          // The reference looks 3 years ahead; the engine may find something later.
          #expect(got.map { $0.timeIntervalSince(cursor) > 3 * 365 * 86_400 } ?? true, "\(reference.text)")
        }
        guard let next = got else { break }
        cursor = next
      }
    }
    #expect(compared > 500)
  }
}

/// A cron expression generated from known value sets, with a deliberately naive matcher.
private struct ReferenceCron {
  var text = ""
  var seconds: [Int] = []
  var minutes: [Int] = []
  var hours: [Int] = []
  var daysOfMonth: Set<Int> = []
  var lastDay = false
  var months: Set<Int> = []
  var weekdays: Set<Int> = []
  var lastWeekdays: Set<Int> = []
  var nthWeekdays: Set<[Int]> = []

  static let calendar: Calendar = {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    return calendar
  }()

  static func random(using random: inout SplitMix64) -> ReferenceCron {
    var cron = ReferenceCron()
    var fields: [String] = []
    func field(_ range: ClosedRange<Int>, names: [String] = []) -> (String, Set<Int>) {
      let a = Int.random(in: range, using: &random)
      let b = Int.random(in: a...range.upperBound, using: &random)
      let step = Int.random(in: 1...max(1, range.count / 3), using: &random)
      func name(_ value: Int) -> String {
        names.isEmpty || Bool.random(using: &random) ? "\(value)" : names[value - range.lowerBound]
      }
      switch Int.random(in: 0..<7, using: &random) {
      case 0: return ("*", Set(range))
      case 1: return (name(a), [a])
      case 2:
        let values = (0..<Int.random(in: 2...4, using: &random)).map { _ in Int.random(in: range, using: &random) }
        return (values.map { "\($0)" }.joined(separator: ","), Set(values))
      case 3: return ("\(name(a))-\(name(b))", Set(a...b))
      case 4: return ("*/\(step)", Set(stride(from: range.lowerBound, through: range.upperBound, by: step)))
      case 5: return ("\(a)-\(b)/\(step)", Set(stride(from: a, through: b, by: step)))
      default:
        // `a/step` runs to the end of what `*` covers (Saturday for day-of-week).
        let end = range == 0...7 ? max(a, 6) : range.upperBound
        return ("\(a)/\(step)", Set(stride(from: a, through: end, by: step)))
      }
    }
    let sixFields = Bool.random(using: &random)
    if sixFields {
      let (text, values) = field(0...59)
      fields.append(text)
      cron.seconds = values.sorted()
    } else {
      cron.seconds = [0]
    }
    var (text, values) = field(0...59)
    fields.append(text)
    cron.minutes = values.sorted()
    (text, values) = field(0...23)
    fields.append(text)
    cron.hours = values.sorted()
    if Int.random(in: 0..<6, using: &random) == 0 {
      fields.append(Bool.random(using: &random) ? "L" : "L,15")
      cron.lastDay = true
      cron.daysOfMonth = fields.last == "L" ? [] : [15]
    } else {
      (text, values) = field(1...31)
      fields.append(text)
      cron.daysOfMonth = values
    }
    let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    (text, values) = field(1...12, names: monthNames)
    fields.append(text)
    cron.months = values
    switch Int.random(in: 0..<5, using: &random) {
    case 0:
      let weekday = Int.random(in: 0...6, using: &random)
      fields.append("\(weekday)L")
      cron.lastWeekdays = [weekday]
    case 1:
      let weekday = Int.random(in: 0...7, using: &random)
      let nth = Int.random(in: 1...5, using: &random)
      fields.append("\(weekday)#\(nth)")
      cron.nthWeekdays = [[weekday % 7, nth]]
    default:
      (text, values) = field(0...7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"])
      fields.append(text)
      cron.weekdays = Set(values.map { $0 % 7 })
    }
    cron.text = fields.joined(separator: " ")
    return cron
  }

  func dayMatches(_ date: Date) -> Bool {
    let parts = Self.calendar.dateComponents([.month, .day, .weekday], from: date)
    guard let month = parts.month, let day = parts.day, let weekday = parts.weekday.map({ $0 - 1 }),
      let length = Self.calendar.range(of: .day, in: .month, for: date)?.count
    else { return false }
    guard months.contains(month) else { return false }
    let byMonthDay = daysOfMonth.contains(day) || (lastDay && day == length)
    let byWeekday =
      weekdays.contains(weekday) || (lastWeekdays.contains(weekday) && day + 7 > length)
      || nthWeekdays.contains([weekday, (day - 1) / 7 + 1])
    let monthDayRestricted = lastDay || daysOfMonth != Set(1...31)
    let weekdayRestricted = !lastWeekdays.isEmpty || !nthWeekdays.isEmpty || weekdays != Set(0...6)
    switch (monthDayRestricted, weekdayRestricted) {
    case (true, true): return byMonthDay || byWeekday
    case (true, false): return byMonthDay
    case (false, true): return byWeekday
    case (false, false): return true
    }
  }

  func next(after date: Date) -> Date? {
    let first = date.timeIntervalSince1970.rounded(.down) + 1
    let firstDay = (first / 86_400).rounded(.down) * 86_400
    for index in 0..<(3 * 365) {
      let dayStart = firstDay + Double(index) * 86_400
      guard dayMatches(Date(timeIntervalSince1970: dayStart)) else { continue }
      for hour in hours {
        for minute in minutes {
          for second in seconds {
            let candidate = dayStart + Double(hour * 3_600 + minute * 60 + second)
            if candidate >= first { return Date(timeIntervalSince1970: candidate) }
          }
        }
      }
    }
    return nil
  }
}
