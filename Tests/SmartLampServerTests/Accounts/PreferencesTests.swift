import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ServerTestSupport
import SmartLampStore
import Testing

@testable import SmartLampServer

/// Per-person dashboard preferences on `GET/PATCH /api/v1/profile`: known keys checked, unknown keys named,
/// at most 4 KiB, a shallow merge in which `null` removes a key, stored per person.
@Suite struct PreferencesTests {
  func fieldErrors(_ reply: Reply) -> [String] {
    guard case .object(let fields)? = reply.envelope?.error?.details?["fieldErrors"] else { return [] }
    return fields.keys.sorted()
  }

  @Test func mergedPerPersonAndShownWithTheProfile() async throws {
    try await Accounts.server().run { client in
      let admin = try await client.session()
      let fresh = try await client.call(.get, "/api/v1/profile", as: .cookie(admin))
      #expect(fresh.data?["preferences"] == .object([:]))
      #expect(fresh.data?["email"]?.string == Accounts.adminEmail)

      let first = try await client.call(
        .patch, "/api/v1/profile", as: .cookie(admin),
        json: ["preferences": ["language": "en", "theme": "dark", "favourites": ["lamp-b", " lamp-a ", "lamp-b"]]])
      #expect(first.status == .ok)
      #expect(first.data?["preferences"] == ["language": "en", "theme": "dark", "favourites": ["lamp-b", "lamp-a"]])
      #expect(first.data?["email"]?.string == Accounts.adminEmail)

      // Shallow merge: named keys replace, null removes, the rest stays; name changes ride along.
      let second = try await client.call(
        .patch, "/api/v1/profile", as: .cookie(admin),
        json: ["name": "Boss", "preferences": ["theme": .null, "language": "id"]])
      #expect(second.status == .ok)
      #expect(second.data?["name"]?.string == "Boss")
      #expect(second.data?["preferences"] == ["language": "id", "favourites": ["lamp-b", "lamp-a"]])
      let shown = try await client.call(.get, "/api/v1/profile", as: .cookie(admin))
      #expect(shown.data?["preferences"] == second.data?["preferences"])
      #expect(shown.data?["name"]?.string == "Boss")

      // Another person has their own.
      _ = try await client.createUser(admin, email: "m@example.com")
      let member = try await client.session("m@example.com", "member-password-1")
      #expect(try await client.call(.get, "/api/v1/profile", as: .cookie(member)).data?["preferences"] == .object([:]))
      // Keys of API keys have no profile (unchanged: 403).
      let key = try await client.createKey(admin, scopes: ["read"])
      let byKey = try await client.call(.patch, "/api/v1/profile", as: .bearer(key), json: ["preferences": [:]])
      #expect(byKey.status == .forbidden)
    }
  }

  @Test func badPreferencesAreRefusedNamingTheField() async throws {
    try await Accounts.server().run { client in
      let admin = try await client.session()
      func patch(_ preferences: JSONValue) async throws -> Reply {
        try await client.call(.patch, "/api/v1/profile", as: .cookie(admin), json: ["preferences": preferences])
      }
      let unknown = try await patch(["theme": "dark", "fontSize": 12, "colour": "red"])
      #expect(unknown.status == .badRequest && unknown.code == "VALIDATION_ERROR")
      #expect(fieldErrors(unknown) == ["preferences.colour", "preferences.fontSize"])
      let values = try await patch(["language": "fr", "theme": 1, "favourites": ["ok", "a/b", 5]])
      #expect(
        fieldErrors(values) == [
          "preferences.favourites[1]", "preferences.favourites[2]", "preferences.language", "preferences.theme",
        ])
      #expect(fieldErrors(try await patch("dark")) == ["preferences"])
      #expect(fieldErrors(try await patch(["favourites": "lamp-a"])) == ["preferences.favourites"])
      let many = JSONValue.array((0...500).map { .string("l\($0)") })
      #expect(fieldErrors(try await patch(["favourites": many])) == ["preferences.favourites"])
      let big = JSONValue.array((0..<300).map { .string("lamp-\($0)-" + String(repeating: "x", count: 10)) })
      let tooBig = try await patch(["favourites": big])
      #expect(fieldErrors(tooBig) == ["preferences"])
      // Nothing was stored by any refused change.
      #expect(try await client.call(.get, "/api/v1/profile", as: .cookie(admin)).data?["preferences"] == .object([:]))

      // The limit holds for the merged result too: favourites that fit alone, then two short keys that tip it over.
      var ids: [String] = []
      func favourites(_ ids: [String]) -> [String: JSONValue] { ["favourites": .array(ids.map(JSONValue.string))] }
      while try Preferences.encode(favourites(ids + ["lamp-\(ids.count)"])).utf8.count <= Preferences.maximumBytes - 8 {
        ids.append("lamp-\(ids.count)")
      }
      #expect(try await patch(.object(favourites(ids))).status == .ok)
      let over = try await patch(["theme": "system", "language": "en"])
      #expect(over.status == .badRequest && fieldErrors(over) == ["preferences"])
      #expect(try await patch(["language": .null]).status == .ok)
      #expect(try await patch(["language": "en", "favourites": ["lamp-1"]]).status == .ok)
      // null on preferences itself is no change at all; an empty object is one.
      #expect(try await patch(.null).status == .badRequest)
      #expect(try await patch([:]).status == .ok)
      let kept = try await client.call(.get, "/api/v1/profile", as: .cookie(admin))
      #expect(kept.data?["preferences"]?["language"]?.string == "en")
    }
  }
}
