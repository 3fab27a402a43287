import Foundation
import SmartLampCore
import Testing

/// Prints what a next-run computation costs; it asserts only correctness, never timing.
@Suite struct CronCostTests {
  @Test(arguments: ["* * * * * *", "* * * * *", "0 8 * * 1-5", "0 9 * * 5#3", "0 0 29 2 *", "0 0 30 2 *"])
  func reportsTheCostOfANextRun(_ text: String) throws {
    let expression = try CronExpression(parsing: text)
    let newYork = zone("America/New_York")
    let iterations = text.contains(" 2 *") ? 200 : 2_000
    var cursor = instant("2026-03-01T00:00:00Z")
    var found = 0
    let elapsed = ContinuousClock().measure {
      for _ in 0..<iterations {
        guard let next = expression.nextOccurrence(after: cursor, in: newYork) else { continue }
        found += 1
        cursor = next
      }
    }
    #expect(found == (text == "0 0 30 2 *" ? 0 : iterations))
    let micros = Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6
    print("cron-cost \(text): \(String(format: "%.2f", micros / Double(iterations))) µs per next run (debug build)")
  }
}
