import Foundation
import SmartLampCore
import Testing

@Suite struct ScheduleTimeZoneTests {
  @Test(arguments: [
    "Asia/Jakarta", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "UTC", "GMT", "Etc/UTC",
    "Etc/GMT-7", "US/Eastern", "Asia/Kolkata", "Asia/Calcutta", "America/Argentina/Buenos_Aires", "EST5EDT",
  ])
  func acceptsIanaNames(_ identifier: String) throws {
    let zone = try ScheduleTimeZone.validate(identifier)
    #expect(zone.identifier == identifier || identifier == "UTC")
  }

  @Test(arguments: [
    "Invalid/Zone", "Mars/Olympus_Mons", "GMT+7", "UTC+07:00", "GMT-0500", "+07:00", "america/new_york ",
    " Asia/Jakarta", "Asia/Jakarta\n", "Asia/Jakarta\u{0}", "../../etc/passwd", "Ásia/Jakarta",
    String(repeating: "A", count: 65),
  ])
  func rejectsAnythingElse(_ identifier: String) {
    #expect(throws: ScheduleTimeZoneError.unknown(identifier)) { try ScheduleTimeZone.validate(identifier) }
  }

  @Test func rejectsAnEmptyName() {
    #expect(throws: ScheduleTimeZoneError.empty) { try ScheduleTimeZone.validate("") }
    #expect(ScheduleTimeZoneError.unknown("X/Y").description.contains("X/Y"))
  }
}
