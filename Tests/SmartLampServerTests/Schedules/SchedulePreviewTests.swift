import Foundation
import HTTPTypes
import HummingbirdTesting
import TestSupport
import Testing

@testable import SmartLampServer

/// `POST /api/v1/schedules/preview`: the next runs from the scheduler's engine (CONTRACT §9, incl. daylight-saving
/// gaps and repeats), window schedules as the first enforcement of each window, and the errors of schedule create.
@Suite struct SchedulePreviewTests {
  struct Case: Sendable, CustomStringConvertible {
    let name: String
    let body: JSONValue
    let runs: [Int]
    var description: String { name }
  }

  static let cases: [Case] = [
    Case(
      name: "daily 18:00 in Jakarta",
      body: ["cron": "0 18 * * *", "timezone": "Asia/Jakarta", "after": 1_767_571_200_000],
      runs: [1_767_610_800_000, 1_767_697_200_000, 1_767_783_600_000]),
    // 2026-03-29 02:30 does not exist in Berlin: that day runs at the first instant after the gap (03:00 CEST).
    Case(
      name: "spring forward in Berlin",
      body: ["cron": "30 2 * * *", "timezone": "Europe/Berlin", "after": 1_774_656_000_000],
      runs: [1_774_661_400_000, 1_774_746_000_000, 1_774_830_600_000]),
    // 2026-10-25 02:30 happens twice in Berlin: it runs once, at the first.
    Case(
      name: "fall back in Berlin",
      body: ["cron": "30 2 * * *", "timezone": "Europe/Berlin", "after": 1_792_800_000_000],
      runs: [1_792_801_800_000, 1_792_888_200_000, 1_792_978_200_000]),
    // Weekdays 18:00–23:00 WIB every 5 min, asked on a Friday at 19:00 WIB: the window under way (its next
    // enforcement), then Monday's and Tuesday's windows.
    Case(
      name: "weekday window",
      body: [
        "cron": "* * * * 1-5", "timezone": "Asia/Jakarta", "windowStartMinute": 64_800, "windowEndMinute": 82_800,
        "enforceEveryMinute": 300, "after": 1_767_960_000_000,
      ],
      runs: [1_767_960_300_000, 1_768_215_600_000, 1_768_302_000_000]),
    Case(
      name: "overnight window",
      body: [
        "cron": "* * * * *", "timezone": "UTC", "windowStartMinute": 79_200, "windowEndMinute": 21_600,
        "enforceEveryMinute": 3_600, "after": 1_767_614_400_000, "count": 3,
      ],
      runs: [1_767_650_400_000, 1_767_736_800_000, 1_767_823_200_000]),
    // The window opens at 18:00:30 every 90 s, but the cron allows second 0 only: each window's first run is 18:02.
    Case(
      name: "window whose start the cron rules out",
      body: [
        "cron": "0 * * * * *", "timezone": "UTC", "windowStartMinute": 64_830, "windowEndMinute": 82_800,
        "enforceEveryMinute": 90, "after": 1_767_614_400_000,
      ],
      runs: [1_767_636_120_000, 1_767_722_520_000, 1_767_808_920_000]),
  ]

  @Test(arguments: cases)
  func runsComeFromTheScheduleEngine(_ example: Case) async throws {
    try await Accounts.server().run { client in
      let admin = try await client.session()
      let reply = try await client.call(.post, "/api/v1/schedules/preview", as: .cookie(admin), json: example.body)
      #expect(reply.status == .ok, "\(String(decoding: reply.raw, as: UTF8.self))")
      let runs: [Int] = reply.data?["runs"]?.array?.compactMap { $0.int } ?? []
      #expect(runs == example.runs)
    }
  }

  @Test func countAndDefaults() async throws {
    try await Accounts.server().run { client in
      let admin = try await client.session()
      let ten = try await client.call(
        .post, "/api/v1/schedules/preview", as: .cookie(admin),
        json: ["cron": "*/15 * * * *", "timezone": "UTC", "count": 10, "after": 1_767_571_200_000])
      let runs: [Int] = ten.data?["runs"]?.array?.compactMap { $0.int } ?? []
      #expect(runs == (1...10).map { 1_767_571_200_000 + $0 * 900_000 })
      let now = Int(Date().timeIntervalSince1970 * 1000)
      let defaults = try await client.call(
        .post, "/api/v1/schedules/preview", as: .cookie(admin), json: ["cron": "* * * * *", "timezone": "UTC"])
      let next: [Int] = defaults.data?["runs"]?.array?.compactMap { $0.int } ?? []
      #expect(next.count == 3)
      #expect(next.allSatisfy { $0 > now - 1_000 && $0 % 60_000 == 0 })
    }
  }

  /// Each invalid schedule answers the preview exactly as it answers schedule create.
  @Test func errorsAreThoseOfScheduleCreate() async throws {
    try await Accounts.server().run { client in
      let admin = try await client.session()
      let bodies: [[String: JSONValue]] = [
        ["cron": "61 * * * *", "timezone": "Asia/Jakarta"],
        ["cron": "0 18 * * *", "timezone": "Mars/Olympus"],
        ["cron": "not a cron", "timezone": "Nowhere"],
        ["cron": "* * * * *", "timezone": "UTC", "windowStartMinute": 100],
        [
          "cron": "* * * * *", "timezone": "UTC", "windowStartMinute": 100, "windowEndMinute": 100,
          "enforceEveryMinute": 5,
        ],
      ]
      for (index, body) in bodies.enumerated() {
        var create = body
        create["deviceId"] = "no-such-lamp"
        create["action"] = "ON"
        if body["windowStartMinute"] != nil { create["windowGroupId"] = "g" }
        var headers = HTTPFields()
        headers[.idempotencyKey] = "preview-compare-\(index)"
        let created = try await client.call(
          .post, "/api/v1/schedules", as: .cookie(admin), json: .object(create), headers: headers)
        let previewed = try await client.call(
          .post, "/api/v1/schedules/preview", as: .cookie(admin), json: .object(body))
        #expect(previewed.status == .badRequest, "\(body)")
        #expect(previewed.status == created.status, "\(body)")
        #expect(previewed.envelope?.error?.code == created.envelope?.error?.code, "\(body)")
        #expect(previewed.envelope?.error?.message == created.envelope?.error?.message, "\(body)")
        #expect(previewed.envelope?.error?.details == created.envelope?.error?.details, "\(body)")
      }
      let codes = try await client.call(
        .post, "/api/v1/schedules/preview", as: .cookie(admin), json: ["cron": "61 * * * *", "timezone": "UTC"])
      #expect(codes.code == "SCHEDULE_INVALID_CRON")
      let zone = try await client.call(
        .post, "/api/v1/schedules/preview", as: .cookie(admin), json: ["cron": "0 1 * * *", "timezone": "Mars/Base"])
      #expect(zone.code == "SCHEDULE_INVALID_TIMEZONE")
      // 30 February never comes: refused as create refuses it once the lamp is known.
      let never = try await client.call(
        .post, "/api/v1/schedules/preview", as: .cookie(admin), json: ["cron": "0 0 30 2 *", "timezone": "UTC"])
      #expect(never.status == .badRequest && never.envelope?.error?.details?["fieldErrors"]?["cron"] != nil)
    }
  }

  @Test func fieldRules() async throws {
    try await Accounts.server().run { client in
      let admin = try await client.session()
      for (body, field) in [
        (["timezone": "UTC"] as JSONValue, "cron"), (["cron": "* * * * *"], "timezone"),
        (["cron": "* * * * *", "timezone": "UTC", "count": 11], "count"),
        (["cron": "* * * * *", "timezone": "UTC", "count": "3"], "count"),
        (["cron": "* * * * *", "timezone": "UTC", "after": -1], "after"),
        (["cron": "* * * * *", "timezone": "UTC", "enforceEveryMinute": 0], "enforceEveryMinute"),
        (["cron": .string(String(repeating: "*", count: 300)), "timezone": "UTC"], "cron"),
      ] {
        let reply = try await client.call(.post, "/api/v1/schedules/preview", as: .cookie(admin), json: body)
        #expect(reply.status == .badRequest && reply.code == "VALIDATION_ERROR", "\(body)")
        #expect(reply.envelope?.error?.details?["fieldErrors"]?[field] != nil, "\(body) names \(field)")
      }
    }
  }

  @Test func anySignedInPersonMayPreviewKeysNeedRead() async throws {
    try await Accounts.server().run { client in
      let admin = try await client.session()
      _ = try await client.createUser(admin, email: "member@example.com")
      let member = try await client.session("member@example.com", "member-password-1")
      let body: JSONValue = ["cron": "0 18 * * *", "timezone": "Asia/Jakarta"]
      #expect(try await client.call(.post, "/api/v1/schedules/preview", as: .cookie(member), json: body).status == .ok)
      let reader = try await client.createKey(admin, scopes: ["read"], name: "reader")
      #expect(try await client.call(.post, "/api/v1/schedules/preview", as: .bearer(reader), json: body).status == .ok)
      let commander = try await client.createKey(admin, scopes: ["command"], name: "commander")
      let refused = try await client.call(.post, "/api/v1/schedules/preview", as: .bearer(commander), json: body)
      #expect(refused.status == .forbidden && refused.code == "FORBIDDEN_SCOPE")
      #expect(try await client.call(.post, "/api/v1/schedules/preview", json: body).status == .unauthorized)
    }
  }
}
