import SmartLampCore
import SmartLampStore
import TestSupport
import Testing

/// `users.preferences` (migration 0005): read and merged apart from the account row.
@Suite struct UserPreferencesTests {
  struct Refused: Error {}

  @Test(arguments: StoreEngine.all) func unsetThenMergedInOneTransaction(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    let user = try await f.user()
    let users = f.store.users
    #expect(try await users.preferences(user.id) == nil)

    let written = try await users.updatePreferences(user.id) { stored in
      #expect(stored == nil)
      return #"{"theme":"dark"}"#
    }
    #expect(written == #"{"theme":"dark"}"#)
    #expect(try await users.preferences(user.id) == #"{"theme":"dark"}"#)
    // Preferences are not account data: the row's updated_at stays.
    #expect(try await users.byId(user.id)?.updatedAt == user.updatedAt)

    // The merge sees what is stored; a refusal writes nothing.
    await #expect(throws: Refused.self) {
      try await users.updatePreferences(user.id) { stored in
        #expect(stored == #"{"theme":"dark"}"#)
        throw Refused()
      }
    }
    #expect(try await users.preferences(user.id) == #"{"theme":"dark"}"#)

    // Concurrent merges each see the other's result (none is lost).
    try await withThrowingTaskGroup(of: Void.self) { group in
      for index in 0..<20 {
        group.addTask {
          try await users.updatePreferences(user.id) { stored in (stored ?? "") + "\(index)," }
        }
      }
      try await group.waitForAll()
    }
    let merged = try #require(try await users.preferences(user.id))
    #expect(Set(merged.dropFirst(#"{"theme":"dark"}"#.count).split(separator: ",").map(String.init)).count == 20)
  }

  @Test(arguments: StoreEngine.all) func unknownUsersAreRefused(engine: StoreEngine) async throws {
    let f = try await StoreFixture(engine)
    await #expect(throws: StoreError.userNotFound(42)) { _ = try await f.store.users.preferences(42) }
    await #expect(throws: StoreError.userNotFound(42)) {
      try await f.store.users.updatePreferences(42) { _ in "{}" }
    }
  }
}
