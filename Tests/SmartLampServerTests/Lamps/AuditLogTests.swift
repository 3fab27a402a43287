import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import ServerTestSupport
import TestSupport
import Testing

@testable import SmartLampServer

/// Issue #8 item 5, the audit log end to end: commands by a person, a key and the admin and a wall-switch change,
/// merged newest first; every filter; cursor pages; members see their lamps only; the CSV export has the same rows
/// under the same filters and permissions, quoted, with formulas neutralised.
@Suite(.serialized) struct AuditLogTests {
  static func history(_ env: LampEnv, _ query: String = "", token: String? = nil) async throws -> Reply {
    try await env.call(.get, "/api/v1/history" + query, token: token)
  }

  static func ids(_ reply: Reply) -> [String] {
    (reply.data?["items"]?.lampArray ?? []).compactMap { $0["id"]?.string }
  }

  /// The raw answer of a CSV export.
  static func csv(_ env: LampEnv, _ query: String = "", token: String? = nil) async throws
    -> (status: Int, contentType: String?, disposition: String?, text: String)
  {
    let reply = try await env.call(.get, "/api/v1/history/export.csv" + query, token: token)
    let text = String(decoding: reply.raw, as: UTF8.self)
    return (reply.status.code, reply.headers[.contentType], reply.headers[.contentDisposition], text)
  }

  /// The first cell (the row id) of every data line.
  static func csvIDs(_ text: String) -> [String] {
    text.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }.map {
      String($0.prefix { $0 != "," })
    }
  }

  @Test func everyCommandAndDeviceChangeFilteredPagedAndExported() async throws {
    try await LampEnv.with { env in
      try await env.createDevice("a")
      try await env.createDevice("b")
      let lampA = try await env.startLamp("a")
      let lampB = try await env.startLamp("b")
      try await poll("lamps online") {
        let all = try await env.call(.get, "/api/v1/status").data?.lampArray ?? []
        return all.count == 2 && all.allSatisfy { $0["online"]?.lampBool == true }
      }
      let member = try await env.createMember("audit@example.com")
      try await env.assign(member.id, ["a": "control"])
      let key = try await env.call(
        .post, "/api/v1/integrations/clients", json: "{\"name\":\"Otomasi\",\"scopes\":[\"command\",\"read\"]}")
      let keyToken = try #require(key.data?["apiKey"]?.string)
      let keyID = try #require(key.data?["id"]?.lampInt)

      #expect(try await env.execute("a", "ON", token: member.token).data?["status"]?.string == "ACKED")
      #expect(try await env.execute("b", "ON").data?["status"]?.string == "ACKED")
      #expect(try await env.execute("a", "OFF", token: keyToken).data?["status"]?.string == "ACKED")
      try await lampB.publishRaw(topic: "stat/b/POWER", payload: "OFF")
      try await poll("the wall switch is in the audit log") {
        Self.ids(try await Self.history(env, "?kind=device")).count == 1
      }

      let all = try await Self.history(env)
      #expect(all.status == 200)
      let items = all.data?["items"]?.lampArray ?? []
      #expect(items.map { $0["kind"]?.string ?? "" } == ["device", "command", "command", "command"], "\(items)")
      #expect(items.map { $0["deviceId"]?.string ?? "" } == ["b", "a", "b", "a"])
      #expect(items.map { $0["origin"]?.string ?? "" } == ["device", "api_key", "user", "user"])
      #expect(items.map { $0["power"]?.string ?? "" } == ["OFF", "OFF", "ON", "ON"])
      #expect(items[0]["source"]?.string == "tasmota_stat_power" && items[0]["status"]?.lampIsNull == true)
      #expect(items[1]["actor"]?["name"]?.string == "Otomasi" && items[1]["actor"]?["id"]?.lampInt == keyID)
      #expect(items[3]["actor"]?["id"]?.lampInt == member.id)
      #expect(items[1]["status"]?.string == "ACKED" && items[1]["ackLatencyMs"]?.lampInt != nil)
      #expect(items.allSatisfy { $0["deviceName"]?.string?.hasPrefix("Lamp ") == true })
      #expect(items[1]["commandChannel"]?.string == "POWER")
      let everything = Self.ids(all)

      // Each filter.
      let at = items.compactMap { $0["at"]?.lampInt }
      let filtered: [(String, [String])] = [
        ("?deviceId=a", [everything[1], everything[3]]),
        ("?origin=device", [everything[0]]),
        ("?origin=api_key", [everything[1]]),
        ("?origin=user", [everything[2], everything[3]]),
        ("?userId=\(member.id)", [everything[3]]),
        ("?clientId=\(keyID)", [everything[1]]),
        ("?status=ACKED", Array(everything[1...])),
        ("?status=timeout", []),
        ("?kind=command", Array(everything[1...])),
        ("?kind=device&deviceId=a", []),
        ("?from=\(at[1])", Array(everything[...1])),
        ("?to=\(at[2] + 1)&from=\(at[3])", Array(everything[2...])),
      ]
      for (query, expected) in filtered {
        let reply = try await Self.history(env, query)
        #expect(reply.status == 200, "\(query)")
        #expect(Self.ids(reply) == expected, "\(query)")
      }
      let iso = APITime.iso8601(Date(timeIntervalSince1970: Double(at[3]) / 1000))
      #expect(Self.ids(try await Self.history(env, "?from=\(iso)")) == everything)

      // Pages walk the same list.
      var walked: [String] = []
      var cursor: String?
      repeat {
        let page = try await Self.history(env, "?limit=1" + (cursor.map { "&cursor=\($0)" } ?? ""))
        walked += Self.ids(page)
        cursor = page.data?["nextCursor"]?.string
      } while cursor != nil && walked.count < 10
      #expect(walked == everything)

      // A member sees their lamp only, whatever the filter asks; a key with read sees what its owner sees.
      #expect(Self.ids(try await Self.history(env, token: member.token)) == [everything[1], everything[3]])
      #expect(Self.ids(try await Self.history(env, "?deviceId=b", token: member.token)) == [])
      #expect(Self.ids(try await Self.history(env, token: keyToken)) == everything)
      let stranger = try await env.createMember("stranger-audit@example.com")
      #expect(Self.ids(try await Self.history(env, token: stranger.token)) == [])

      // Bad filters name the field.
      let bad: [(String, String)] = [
        ("?origin=robot", "origin"), ("?status=DONE", "status"), ("?kind=x", "kind"), ("?from=yesterday", "from"),
        ("?userId=-1", "userId"), ("?clientId=x", "clientId"), ("?limit=0", "limit"), ("?cursor=abc", "cursor"),
        ("?from=10&to=5", "to"),
      ]
      for (query, field) in bad {
        let reply = try await Self.history(env, query)
        #expect(reply.status == 400 && reply.code == "VALIDATION_ERROR", "\(query)")
        #expect(reply.body["error"]?["details"]?["fieldErrors"]?[field] != nil, "\(query) \(reply.body)")
        if field != "limit" && field != "cursor" { #expect(try await Self.csv(env, query).status == 400, "\(query)") }
      }

      // The CSV: same rows, same filters, same permissions.
      let export = try await Self.csv(env)
      #expect(export.status == 200)
      #expect(export.contentType?.hasPrefix("text/csv") == true)
      #expect(export.disposition?.contains("attachment") == true)
      #expect(export.text.hasPrefix(AuditCSV.header))
      #expect(Self.csvIDs(export.text) == everything)
      #expect(Self.csvIDs(try await Self.csv(env, "?deviceId=a").text) == [everything[1], everything[3]])
      #expect(Self.csvIDs(try await Self.csv(env, token: member.token).text) == [everything[1], everything[3]])
      let refused = try await Self.csv(env, token: "not-a-token")
      #expect(refused.status == 401)

      await lampA.stop()
      await lampB.stop()
    }
  }

  @Test func deletedLampsStayInTheAdminsLogAndFormulasAreNeutralised() async throws {
    try await LampEnv.with { env in
      _ = try await env.call(
        .post, "/api/v1/devices", json: "{\"deviceId\":\"rumus\",\"name\":\"=SUM(1,2) \\\"x\\\"\"}",
        idempotencyKey: "create-rumus")
      let member = try await env.createMember("rumus@example.com")
      try await env.assign(member.id, ["rumus": "control"])
      let sent = try await env.execute("rumus", "ON", waitForAck: false, requestID: "@cmd-1")
      #expect((200..<300).contains(sent.status.code), "\(sent.body)")
      let export = try await Self.csv(env)
      let row = export.text.components(separatedBy: "\r\n")[1]
      // The name is quoted (comma, quotes) and starts with a quote mark, the request id too.
      #expect(row.contains(",\"'=SUM(1,2) \"\"x\"\"\","), "\(row)")
      #expect(row.contains(",'@cmd-1,"), "\(row)")

      #expect(try await env.call(.delete, "/api/v1/devices/rumus", idempotencyKey: "delete-rumus").status == 200)
      let after = try await Self.history(env, "?deviceId=rumus")
      let items = after.data?["items"]?.lampArray ?? []
      #expect(items.count == 1 && items.first?["deviceName"]?.lampIsNull == true)
      #expect(Self.ids(try await Self.history(env, token: member.token)) == [])
    }
  }

  @Test func csvCellsAreQuotedAndFormulaSafe() {
    #expect(AuditCSV.cell("Lampu Teras") == "Lampu Teras")
    #expect(AuditCSV.cell("=1+2") == "'=1+2")
    #expect(AuditCSV.cell("+62") == "'+62")
    #expect(AuditCSV.cell("-1") == "'-1")
    #expect(AuditCSV.cell("@x") == "'@x")
    #expect(AuditCSV.cell("\tx") == "'\tx")
    #expect(AuditCSV.cell("a,b") == "\"a,b\"")
    #expect(AuditCSV.cell("say \"hi\"") == "\"say \"\"hi\"\"\"")
    #expect(AuditCSV.cell("two\r\nlines") == "\"two\r\nlines\"")
    #expect(AuditCSV.cell("=a,b") == "\"'=a,b\"")
    #expect(AuditCSV.line(["a", "b"]) == "a,b\r\n")
  }
}
