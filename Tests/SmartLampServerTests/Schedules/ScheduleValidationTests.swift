import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ServerTestSupport
import Testing

@testable import SmartLampServer

/// Body rules of the schedule routes (UPSTREAM §5.6 corrected by CONTRACT §1, §9) and their error codes.
@Suite struct ScheduleValidationTests {
  func withAdmin(_ body: @Sendable (any TestClientProtocol, Session) async throws -> Void) async throws {
    let server = Accounts.server()
    try await server.seedDevices(["lamp-a"])
    try await server.run { client in try await body(client, try await client.session()) }
  }

  func fieldErrors(_ reply: Reply) -> [String] {
    guard case .object(let fields)? = reply.envelope?.error?.details?["fieldErrors"] else { return [] }
    return fields.keys.sorted()
  }

  @Test func cronAndTimezoneHaveTheirOwnCodes() async throws {
    try await withAdmin { client, admin in
      let cron = try await client.schedules(
        .post, as: .cookie(admin), json: ScheduleFixtures.body(cron: "61 * * * *"))
      #expect(cron.status == .badRequest)
      #expect(cron.code == "SCHEDULE_INVALID_CRON")
      #expect(cron.envelope?.error?.details?["code"]?.string == "SCHEDULE_INVALID_CRON")
      #expect(fieldErrors(cron) == ["cron"])
      let zone = try await client.schedules(
        .post, as: .cookie(admin), json: ScheduleFixtures.body(extra: ["timezone": "Mars/Olympus"]))
      #expect(zone.code == "SCHEDULE_INVALID_TIMEZONE")
      // The time zone is checked first, as upstream.
      let both = try await client.schedules(
        .post, as: .cookie(admin), json: ScheduleFixtures.body(cron: "nope", extra: ["timezone": "Mars/Olympus"]))
      #expect(both.code == "SCHEDULE_INVALID_TIMEZONE")
    }
  }

  @Test func fieldRulesAreReportedTogether() async throws {
    try await withAdmin { client, admin in
      let reply = try await client.schedules(
        .post, as: .cookie(admin),
        json: [
          "deviceId": "", "action": "TOGGLE", "cron": .int(5), "timezone": "UTC", "enabled": "yes",
          "misfireGraceSec": 0, "windowStartMinute": 86_400, "targetUserId": -1, "startAt": "tomorrow",
        ])
      #expect(reply.status == .badRequest)
      #expect(reply.code == "VALIDATION_ERROR")
      #expect(
        fieldErrors(reply) == [
          "action", "cron", "deviceId", "enabled", "misfireGraceSec", "startAt", "targetUserId", "windowStartMinute",
        ])
      let missing = try await client.schedules(.post, as: .cookie(admin), json: [:])
      #expect(fieldErrors(missing) == ["action", "cron", "deviceId", "timezone"])
      let tooLong = try await client.schedules(
        .post, as: .cookie(admin), json: ScheduleFixtures.body(cron: String(repeating: "* ", count: 200)))
      #expect(fieldErrors(tooLong) == ["cron"])
      let notObject = try await client.schedules(.post, as: .cookie(admin), json: [1, 2])
      #expect(notObject.code == "VALIDATION_ERROR")
    }
  }

  @Test func windowIsAllOrNoneAndNotEmpty() async throws {
    try await withAdmin { client, admin in
      let partial = try await client.schedules(
        .post, as: .cookie(admin), json: ScheduleFixtures.body(extra: ["windowStartMinute": 3600]))
      #expect(partial.code == "VALIDATION_ERROR")
      #expect(partial.envelope?.error?.details?["code"]?.string == "SCHEDULE_WINDOW_CONFIG_INCOMPLETE")
      let window: [String: JSONValue] = [
        "windowGroupId": "g-1", "windowStartMinute": 3600, "windowEndMinute": 3600, "enforceEveryMinute": 60,
      ]
      let empty = try await client.schedules(
        .post, as: .cookie(admin), json: ScheduleFixtures.body(cron: "* * * * * *", extra: window))
      #expect(empty.code == "VALIDATION_ERROR")
      #expect(fieldErrors(empty) == ["windowEndMinute"])
      var good = window
      good["windowEndMinute"] = 7200
      let created = try await client.schedules(
        .post, as: .cookie(admin), json: ScheduleFixtures.body(cron: "* * * * * *", extra: good))
      #expect(created.status == .created)
      #expect(created.data?["windowEndMinute"]?.int == 7200)
      #expect(created.data?["enforceEveryMinute"]?.int == 60)
      let id = try #require(created.data?["id"]?.int)
      // Clearing one window field leaves an incomplete window.
      let cleared = try await client.schedules(.patch, "/\(id)", as: .cookie(admin), json: ["windowEndMinute": .null])
      #expect(cleared.envelope?.error?.details?["code"]?.string == "SCHEDULE_WINDOW_CONFIG_INCOMPLETE")
      let allCleared = try await client.schedules(
        .patch, "/\(id)", as: .cookie(admin),
        json: [
          "windowGroupId": .null, "windowStartMinute": .null, "windowEndMinute": .null, "enforceEveryMinute": .null,
        ])
      #expect(allCleared.status == .ok)
      #expect(allCleared.data?["windowStartMinute"] == .null)
    }
  }

  @Test func endAtMustFollowStartAtAndLeaveASlot() async throws {
    try await withAdmin { client, admin in
      let inverted = try await client.schedules(
        .post, as: .cookie(admin),
        json: ScheduleFixtures.body(extra: ["startAt": "2030-01-02T00:00:00Z", "endAt": "2030-01-01T00:00:00Z"]))
      #expect(inverted.code == "VALIDATION_ERROR")
      #expect(fieldErrors(inverted) == ["endAt"])
      let past = try await client.schedules(
        .post, as: .cookie(admin), json: ScheduleFixtures.body(extra: ["endAt": "2001-01-01T00:00:00Z"]))
      #expect(past.code == "VALIDATION_ERROR")
      #expect(fieldErrors(past) == ["endAt"])
      // The first slot counts from startAt when it lies ahead (2030-01-01 00:00 Jakarta = 2029-12-31T17:00Z).
      let later = try await client.schedules(
        .post, as: .cookie(admin),
        json: ScheduleFixtures.body(extra: ["startAt": "2029-06-01T00:00:00Z", "misfireGraceSec": 5]))
      #expect(later.status == .created)
      #expect(later.data?["nextRunAt"]?.int == 1_893_430_800_000)
      #expect(later.data?["startAt"]?.int == 1_874_966_400_000)
      #expect(later.data?["misfireGraceSec"]?.int == 5)
    }
  }

  func raw(_ client: some TestClientProtocol, _ session: Session, _ body: String, key: String) async throws -> Reply {
    try await APIClient(client).call(
      .post, "/api/v1/schedules", body: .text(body), idempotencyKey: key,
      headers: [.cookie: "auth_token=\(session.accessToken)"])
  }

  /// PATCH plans from `startAt` as POST does (UPSTREAM §20.21 recomputed from now and ignored it).
  @Test func patchRecomputesTheCursorFromStartAt() async throws {
    try await withAdmin { client, admin in
      let created = try await client.schedules(.post, as: .cookie(admin), json: ScheduleFixtures.body())
      let id = try #require(created.data?["id"]?.int)
      let patched = try await client.schedules(
        .patch, "/\(id)", as: .cookie(admin),
        json: ["startAt": "2029-06-01T00:00:00Z", "cron": "0 8 * * *", "timezone": "UTC"])
      #expect(patched.status == .ok)
      // 2029-06-01T08:00:00Z
      #expect(patched.data?["nextRunAt"]?.int == 1_874_995_200_000)
      let empty = try await client.schedules(.patch, "/\(id)", as: .cookie(admin), json: [:])
      #expect(empty.status == .ok)
      #expect(empty.data?["nextRunAt"]?.int == 1_874_995_200_000)
      let badCron = try await client.schedules(.patch, "/\(id)", as: .cookie(admin), json: ["cron": "* * *"])
      #expect(badCron.code == "SCHEDULE_INVALID_CRON")
      let nullAction = try await client.schedules(.patch, "/\(id)", as: .cookie(admin), json: ["action": .null])
      #expect(nullAction.code == "VALIDATION_ERROR")
    }
  }

  @Test func mutationsNeedAnIdempotencyKeyAndReplay() async throws {
    try await withAdmin { client, admin in
      let missing = try await client.schedules(.post, as: .cookie(admin), json: ScheduleFixtures.body(), key: nil)
      #expect(missing.code == "IDEMPOTENCY_KEY_REQUIRED")
      // Raw bytes: an encoder may order object keys differently each time, and the record hashes the raw body.
      let body = #"{"deviceId":"lamp-a","action":"ON","cron":"0 0 1 1 *","timezone":"UTC"}"#
      let first = try await raw(client, admin, body, key: "k-1")
      let again = try await raw(client, admin, body, key: "k-1")
      #expect(first.status == .created)
      #expect(again.status == .created)
      #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
      #expect(again.data?["id"] == first.data?["id"])
      let list = try await client.schedules(.get, as: .cookie(admin))
      #expect(list.data?.array?.count == 1)
      let conflict = try await client.schedules(
        .post, as: .cookie(admin), json: ScheduleFixtures.body(cron: "0 0 2 1 *"), key: "k-1")
      #expect(conflict.code == "IDEMPOTENCY_CONFLICT")
      let id = try #require(first.data?["id"]?.int)
      let deleteWithoutKey = try await client.schedules(.delete, "/\(id)", as: .cookie(admin), key: nil)
      #expect(deleteWithoutKey.code == "IDEMPOTENCY_KEY_REQUIRED")
    }
  }

  @Test func unknownIdsAndRunPaging() async throws {
    try await withAdmin { client, admin in
      for path in ["/0", "/abc", "/999"] {
        let reply = try await client.schedules(.get, path, as: .cookie(admin))
        #expect(reply.status == .notFound)
        #expect(reply.code == "SCHEDULE_NOT_FOUND")
      }
      let patch = try await client.schedules(.patch, "/999", as: .cookie(admin), json: [:])
      #expect(patch.code == "SCHEDULE_NOT_FOUND")
      let created = try await client.schedules(.post, as: .cookie(admin), json: ScheduleFixtures.body())
      let id = try #require(created.data?["id"]?.int)
      let page = try await client.schedules(.get, "/\(id)/runs?limit=10", as: .cookie(admin))
      #expect(page.status == .ok)
      #expect(page.data?["items"]?.array?.isEmpty == true)
      #expect(page.data?["nextCursor"] == .null)
      let badLimit = try await client.schedules(.get, "/\(id)/runs?limit=0", as: .cookie(admin))
      #expect(badLimit.code == "VALIDATION_ERROR")
      let unknownDevice = try await client.schedules(
        .post, as: .cookie(admin), json: ScheduleFixtures.body("lamp-zz"))
      #expect(unknownDevice.code == "DEVICE_NOT_FOUND")
    }
  }
}
